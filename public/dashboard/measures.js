// What the dashboard shows, as data. Adding a measure is an entry here and its fields in the
// dashboard's persisted documents (persisted/documents/dashboard.graphql: DashboardMeasures,
// DashboardChange, DashboardTotal, or DashboardReceiptFigures for a receipt measure, and
// DashboardTrend / DashboardRanked for the chart and rankings, or DashboardReceiptTrend /
// DashboardReceiptRanked for a receipt measure), then `npm run manifest`.

/**
 * The KPI tiles, in order. `field` is the measure's field; `source` where it is read: `sales`
 * the totals of DashboardKpis, with `compared` and `change` (`ratio`: the relative change's
 * field on `change`), `receipts` the rows of DashboardReceipts, which give the compared
 * ranges' figures and no change (the page shows the exact difference, no ratio);
 * `kind`: money and count show the API's exact text ("—" when it is null), rate a percentage.
 */
export const TILES = [
  { field: 'revenue', label: 'Revenue', source: 'sales', ratio: 'revenueRatio', kind: 'money' },
  { field: 'units', label: 'Units', source: 'sales', ratio: 'unitsRatio', kind: 'count' },
  {
    field: 'grossMargin',
    label: 'Gross margin',
    source: 'sales',
    ratio: 'grossMarginRatio',
    kind: 'money',
  },
  { field: 'receipts', label: 'Receipts', source: 'receipts', kind: 'count' },
  {
    field: 'averageReceiptValue',
    label: 'Average receipt value',
    source: 'receipts',
    kind: 'money',
  },
  {
    field: 'transactions',
    label: 'Sale lines',
    source: 'sales',
    ratio: 'transactionsRatio',
    kind: 'count',
  },
];

/** The comparisons each tile shows: the alias of DashboardKpis that answers it. */
export const COMPARISONS = [
  { alias: 'previousPeriod', label: 'vs previous period' },
  { alias: 'previousYear', label: 'vs previous year' },
];

/**
 * The measures the trend and the rankings can follow (the filter "Measure", kept in the URL).
 * `source`: `sales` — DashboardTrend's buckets with their compared span, and the rankings of
 * DashboardRankings by `rankBy` (its SalesMeasure); `receipts` — DashboardReceiptTrend, and the
 * receipt rankings (DashboardReceiptRanking, ranked here by the field, ties by SKU or code).
 * `share`: whether a row's share of the total means something (a sum); a rate or an average
 * has none, and its tables show none.
 */
export const CHART_MEASURES = [
  {
    field: 'revenue',
    label: 'Revenue',
    source: 'sales',
    rankBy: 'REVENUE',
    kind: 'money',
    share: true,
  },
  { field: 'units', label: 'Units', source: 'sales', rankBy: 'UNITS', kind: 'count', share: true },
  {
    field: 'grossMargin',
    label: 'Gross margin',
    source: 'sales',
    rankBy: 'GROSS_MARGIN',
    kind: 'money',
    share: true,
  },
  {
    field: 'marginRate',
    label: 'Margin rate',
    source: 'sales',
    rankBy: 'MARGIN_RATE',
    kind: 'rate',
    share: false,
  },
  { field: 'receipts', label: 'Receipts', source: 'receipts', kind: 'count', share: true },
  {
    field: 'averageReceiptValue',
    label: 'Average receipt value',
    source: 'receipts',
    kind: 'money',
    share: false,
  },
];

/**
 * The trend's granularities: the calendar's, then (for a tenant with a retail calendar) the
 * retail periods. `compareTo` is what each bucket is compared with a year before: days and
 * weeks on the same weekday, months the same month, retail periods the same weeks of the
 * fiscal year before (`compared` says so in the trend's caption); `periods`, the
 * CalendarGranularity that names a retail bucket.
 */
export const GRANULARITIES = [
  {
    value: 'DAY',
    label: 'day',
    compareTo: 'PREVIOUS_YEAR_SAME_WEEKDAY',
    heading: 'Day',
    compared: 'the same weekdays a year before',
  },
  {
    value: 'WEEK',
    label: 'week',
    compareTo: 'PREVIOUS_YEAR_SAME_WEEKDAY',
    heading: 'Week',
    compared: 'the same weekdays a year before',
  },
  {
    value: 'MONTH',
    label: 'month',
    compareTo: 'PREVIOUS_YEAR',
    heading: 'Month',
    compared: 'the same month a year before',
  },
  {
    value: 'RETAIL_WEEK',
    label: 'retail week',
    compareTo: 'PREVIOUS_YEAR',
    heading: 'Retail week',
    periods: 'RETAIL_WEEK',
    compared: 'the same weeks of the fiscal year before',
  },
  {
    value: 'RETAIL_MONTH',
    label: 'retail period',
    compareTo: 'PREVIOUS_YEAR',
    heading: 'Retail period',
    periods: 'RETAIL_MONTH',
    compared: 'the same weeks of the fiscal year before',
  },
  {
    value: 'RETAIL_QUARTER',
    label: 'retail quarter',
    compareTo: 'PREVIOUS_YEAR',
    heading: 'Retail quarter',
    periods: 'RETAIL_QUARTER',
    compared: 'the same weeks of the fiscal year before',
  },
];

/**
 * Where "as of" comes from: the first source that gives a time for some answer of the page
 * (the earliest of its times): the freshness the API reports with its sales answers (the
 * newest sale line the token can see), else the time the answers arrived.
 */
export const AS_OF_SOURCES = [
  { label: 'newest sale', read: (answer) => answer.extensions?.freshness?.asOf },
  { label: 'answered', read: (answer) => answer.receivedAt },
];
