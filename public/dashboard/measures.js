// What the dashboard shows, as data. Adding a measure (margin, receipts, …) is an entry here
// and its fields in the dashboard's persisted documents (persisted/documents/dashboard.graphql:
// DashboardMeasures, DashboardChange, DashboardTotal, and DashboardTrend / DashboardRanked for
// the chart and rankings), then `npm run manifest`.

/**
 * The KPI tiles, in order. `field` is the measure's field on the totals, `compared` and
 * `change`; `ratio` the relative change's field on `change` (none: the difference alone);
 * `kind`: money and count show the API's exact text, rate shows a percentage.
 */
export const TILES = [
  { field: 'revenue', label: 'Revenue', ratio: 'revenueRatio', kind: 'money' },
  { field: 'units', label: 'Units', ratio: 'unitsRatio', kind: 'count' },
  { field: 'transactions', label: 'Sale lines', ratio: 'transactionsRatio', kind: 'count' },
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
 * Where "as of" comes from: the first source that gives a time for an answer. Today the time
 * the answer arrived; the freshness the API reports goes first once it reports one.
 */
export const AS_OF_SOURCES = [{ label: 'answered', read: (answer) => answer.receivedAt }];
