// What the dashboard shows, as data. Adding a measure is an entry here and its fields in the
// dashboard's persisted documents (persisted/documents/dashboard.graphql: DashboardMeasures,
// DashboardChange, DashboardTotal, or DashboardReceiptFigures for a receipt measure, and
// DashboardTrend / DashboardRanked for the chart and rankings), then `npm run manifest`.

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
 * The measures the trend and the rankings can follow (the filter "Measure", kept in the URL);
 * `rankBy` is its SalesMeasure.
 */
export const CHART_MEASURES = [
  { field: 'revenue', label: 'Revenue', rankBy: 'REVENUE', kind: 'money' },
  { field: 'units', label: 'Units', rankBy: 'UNITS', kind: 'count' },
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
