import sql, { empty, join, type Sql } from 'sql-template-tag';
import type { Granularity, Segment } from './plan.js';

/** Row filters shared by the sales queries; null means no filter. */
export interface SalesFilters {
  storeIds: readonly string[] | null;
  productIds: readonly string[] | null;
  categories: readonly string[] | null;
}

/** Buckets in one zone for every row, or in each store's own zone. */
export type ZoneSpec =
  | { kind: 'fixed'; zone: string }
  | { kind: 'perStore'; stores: readonly { storeId: string; zone: string }[] };

export interface GroupBy {
  store: boolean;
  product: boolean;
  category: boolean;
}

/** Which groups get zero buckets with fillGaps: those with sales, or a given list of keys. */
export type GapGroups =
  | { kind: 'present' }
  | { kind: 'stores'; storeIds: readonly string[] }
  | { kind: 'products'; productIds: readonly string[] };

export interface TrendStatement {
  segments: readonly Segment[];
  granularity: Granularity;
  zone: ZoneSpec;
  filters: SalesFilters;
  groupBy: GroupBy;
  fillGaps: boolean;
  gapGroups: GapGroups;
  range: { from: Date; to: Date };
  /** Rows fetched at most (the caller asks for one more than it accepts). */
  limit: number;
  /** Per-store rollups exist (plain PostgreSQL): read them when no product is asked about. */
  storeRollups?: boolean;
}

/** One row of a trend answer, columns as the statement returns them. */
export interface TrendRow {
  bucket: Date;
  storeId: string | null;
  productId: string | null;
  category: string | null;
  units: string;
  revenue: string;
  transactions: number;
  returnedUnits: string;
  returnedRevenue: string;
}

const UNIT: Record<Exclude<Granularity, 'HOUR'>, string> = {
  DAY: 'day',
  WEEK: 'week',
  MONTH: 'month',
};

/** Row filters on a source aliased `alias` (a rollup view or transactions). */
function filterClause(alias: Sql, filters: SalesFilters): Sql {
  return sql`${filters.storeIds ? sql`AND ${alias}.store_id = ANY(${filters.storeIds}::uuid[])` : empty}
      ${filters.productIds ? sql`AND ${alias}.product_id = ANY(${filters.productIds}::uuid[])` : empty}
      ${filters.categories ? sql`AND ${alias}.product_id IN (SELECT c.id FROM products c WHERE c.category = ANY(${filters.categories}::text[]))` : empty}`;
}

/**
 * A rollup's two views, with no bucket in common: the continuous aggregate from the archive
 * horizon on, and the archived rollup before it (empty on plain PostgreSQL).
 */
function rollupViews(source: 'hourly' | 'daily'): [Sql, Sql] {
  return source === 'daily'
    ? [sql`sales_daily`, sql`sales_daily_archived`]
    : [sql`sales_hourly`, sql`sales_hourly_archived`];
}

/**
 * The rows of each segment, UNION ALL: rollup rows (one per store, product and UTC hour or day;
 * with `perStore`, one per store and UTC hour or day, product_id NULL) and raw sale lines, with
 * a common shape (customer_id, store_id, product_id, t, units, revenue, transactions,
 * returned_units, returned_revenue) ready to be bucketed and re-aggregated. Units and revenue
 * are net of returns; the returned amounts are positive.
 */
export function segmentRows(
  segments: readonly Segment[],
  filters: SalesFilters,
  perStore = false,
): Sql {
  const parts = segments.map((s) => {
    if (perStore && s.source !== 'raw') {
      return sql`SELECT r.customer_id, r.store_id, NULL::uuid AS product_id, r.bucket AS t,
             r.units, r.revenue, r.transactions, r.returned_units, r.returned_revenue
      FROM ${s.source === 'daily' ? sql`store_sales_daily` : sql`store_sales_hourly`} r
      WHERE r.bucket >= ${s.from}::timestamptz AND r.bucket < ${s.to}::timestamptz
      ${filterClause(sql`r`, filters)}`;
    }
    if (s.source === 'raw') {
      return sql`SELECT x.customer_id, x.store_id, x.product_id, x.time AS t,
             x.quantity::bigint AS units, x.revenue, 1::bigint AS transactions,
             greatest(-x.quantity, 0)::bigint AS returned_units,
             CASE WHEN x.quantity < 0 THEN -x.revenue ELSE 0 END AS returned_revenue
      FROM sale_lines x
      WHERE x.time >= ${s.from}::timestamptz AND x.time < ${s.to}::timestamptz
      ${filterClause(sql`x`, filters)}`;
    }
    return join(
      rollupViews(s.source).map(
        (view) => sql`SELECT r.customer_id, r.store_id, r.product_id, r.bucket AS t,
             r.units, r.revenue, r.transactions, r.returned_units, r.returned_revenue
      FROM ${view} r
      WHERE r.bucket >= ${s.from}::timestamptz AND r.bucket < ${s.to}::timestamptz
      ${filterClause(sql`r`, filters)}`,
      ),
      '\n      UNION ALL\n      ',
    );
  });
  return join(parts, '\n      UNION ALL\n      ');
}

/**
 * Start of the bucket of instant `t` in zone `zone`. HOUR: the last local clock hour boundary
 * at or before `t` (each absolute hour is its own bucket, so the repeated hour of a DST change
 * gives two buckets); DAY, WEEK (ISO, Monday), MONTH: local midnight of the day, week, month.
 */
export function bucketStart(granularity: Granularity, t: Sql, zone: Sql): Sql {
  if (granularity === 'HOUR') {
    return sql`(${t} - ((${t} AT TIME ZONE ${zone}) - date_trunc('hour', ${t} AT TIME ZONE ${zone})))`;
  }
  return sql`(date_trunc(${UNIT[granularity]}::text, ${t} AT TIME ZONE ${zone}) AT TIME ZONE ${zone})`;
}

/** Every bucket start of `granularity` in zone `zone` that intersects `[from, to)`. */
function bucketSeries(granularity: Granularity, zone: Sql, from: Date, to: Date): Sql {
  if (granularity === 'HOUR') {
    // Local hour boundaries fall on UTC quarter hours in every zone; probe each quarter hour.
    return sql`SELECT DISTINCT ${bucketStart('HOUR', sql`q.t`, zone)} AS bucket
      FROM (SELECT ${from}::timestamptz AS t
            UNION ALL
            SELECT generate_series(date_bin('15 minutes', ${from}::timestamptz, '2000-01-01 00:00:00+00'),
                                   ${to}::timestamptz - interval '1 microsecond', interval '15 minutes')) q
      WHERE q.t >= ${from}::timestamptz`;
  }
  const unit = UNIT[granularity];
  return sql`SELECT g AT TIME ZONE ${zone} AS bucket
      FROM generate_series(date_trunc(${unit}::text, ${from}::timestamptz AT TIME ZONE ${zone}),
                           (${to}::timestamptz - interval '1 microsecond') AT TIME ZONE ${zone},
                           ${`1 ${unit}`}::interval) g`;
}

function zoneRows(zone: ZoneSpec): Sql {
  if (zone.kind === 'fixed') return sql`SELECT NULL::uuid AS store_id, ${zone.zone}::text AS zone`;
  return sql`SELECT u.store_id, u.zone
      FROM unnest(${zone.stores.map((s) => s.storeId)}::uuid[], ${zone.stores.map((s) => s.zone)}::text[])
           AS u(store_id, zone)`;
}

/** Whether a trend can be read from per-store rollups: no product filter, split or category. */
function perStoreRows(q: TrendStatement): boolean {
  const { productIds, categories } = q.filters;
  return (
    q.storeRollups === true &&
    productIds === null &&
    categories === null &&
    !q.groupBy.product &&
    !q.groupBy.category
  );
}

/**
 * The salesTrend statement: the segments' rows, bucketed in the requested zone and
 * re-aggregated per bucket and group; with fillGaps, every bucket of the range for every group
 * (zeros where nothing sold), from generate_series so both backends answer identically.
 */
export function salesTrendSql(q: TrendStatement): Sql {
  const perStore = q.zone.kind === 'perStore';
  const zoneCol = q.zone.kind === 'perStore' ? sql`z.zone` : sql`${q.zone.zone}::text`;
  const needCategory = q.groupBy.category;
  const groupCols = sql`${q.groupBy.store ? sql`p.store_id` : sql`NULL::uuid`} AS store_id,
             ${q.groupBy.product ? sql`p.product_id` : sql`NULL::uuid`} AS product_id,
             ${needCategory ? sql`c.category` : sql`NULL::text`} AS category`;
  const agg = sql`agg AS (
      SELECT ${zoneCol} AS zone, ${bucketStart(q.granularity, sql`p.t`, zoneCol)} AS bucket,
             ${groupCols},
             sum(p.units)::bigint AS units, sum(p.revenue) AS revenue,
             sum(p.transactions)::bigint AS transactions,
             sum(p.returned_units)::bigint AS returned_units, sum(p.returned_revenue) AS returned_revenue
      FROM parts p
      ${perStore ? sql`JOIN zones z ON z.store_id = p.store_id` : empty}
      ${needCategory ? sql`JOIN products c ON c.customer_id = p.customer_id AND c.id = p.product_id` : empty}
      GROUP BY 1, 2, 3, 4, 5
    )`;
  const head = sql`/* salesTrend */
    WITH zones AS (
      ${zoneRows(q.zone)}
    ), parts AS (
      ${segmentRows(q.segments, q.filters, perStoreRows(q))}
    ), ${agg}`;
  const columns = (a: Sql, g: Sql) => sql`${a}.bucket AS "bucket", ${g}.store_id AS "storeId",
           ${g}.product_id AS "productId", ${g}.category AS "category"`;
  if (!q.fillGaps) {
    return sql`${head}
    SELECT ${columns(sql`a`, sql`a`)}, a.units::text AS "units", a.revenue::text AS "revenue",
           a.transactions::integer AS "transactions", a.returned_units::text AS "returnedUnits",
           round(a.returned_revenue, 2)::text AS "returnedRevenue"
    FROM agg a
    ORDER BY a.bucket, a.store_id, a.product_id, a.category
    LIMIT ${q.limit}`;
  }
  const groups = gapGroupRows(q);
  const match = sql`a.zone = g.zone AND a.bucket = s.bucket
      ${q.groupBy.store ? sql`AND a.store_id = g.store_id` : empty}
      ${q.groupBy.product ? sql`AND a.product_id = g.product_id` : empty}
      ${q.groupBy.category ? sql`AND a.category = g.category` : empty}`;
  return sql`${head}, series AS (
      SELECT zz.zone, b.bucket
      FROM (SELECT DISTINCT zone FROM zones) zz
      CROSS JOIN LATERAL (${bucketSeries(q.granularity, sql`zz.zone`, q.range.from, q.range.to)}) b
    ), groups AS (
      ${groups}
    )
    SELECT ${columns(sql`s`, sql`g`)},
           coalesce(a.units, 0)::text AS "units", coalesce(a.revenue, 0.00)::text AS "revenue",
           coalesce(a.transactions, 0)::integer AS "transactions",
           coalesce(a.returned_units, 0)::text AS "returnedUnits",
           round(coalesce(a.returned_revenue, 0), 2)::text AS "returnedRevenue"
    FROM groups g
    JOIN series s ON s.zone = g.zone
    LEFT JOIN agg a ON ${match}
    ORDER BY s.bucket, g.store_id, g.product_id, g.category
    LIMIT ${q.limit}`;
}

function gapGroupRows(q: TrendStatement): Sql {
  switch (q.gapGroups.kind) {
    case 'stores':
      return sql`SELECT z.zone, z.store_id, NULL::uuid AS product_id, NULL::text AS category
      FROM zones z`;
    case 'products':
      return sql`SELECT zz.zone, NULL::uuid AS store_id, k.product_id, NULL::text AS category
      FROM (SELECT DISTINCT zone FROM zones) zz
      CROSS JOIN unnest(${q.gapGroups.productIds}::uuid[]) AS k(product_id)`;
    case 'present':
      if (!q.groupBy.store && !q.groupBy.product && !q.groupBy.category) {
        return sql`SELECT DISTINCT zone, NULL::uuid AS store_id, NULL::uuid AS product_id,
             NULL::text AS category FROM zones`;
      }
      return sql`SELECT DISTINCT zone, store_id, product_id, category FROM agg`;
  }
}

/** Units and revenue per product over the segments, ranked, ties broken by product id. */
export function topProductsSql(
  segments: readonly Segment[],
  filters: SalesFilters,
  by: 'UNITS' | 'REVENUE',
  limit: number,
): Sql {
  const order = by === 'UNITS' ? sql`sum(p.units) DESC` : sql`sum(p.revenue) DESC`;
  return sql`/* topProducts */
    WITH parts AS (
      ${segmentRows(segments, filters)}
    )
    SELECT p.product_id AS "productId", sum(p.units)::text AS "units",
           sum(p.revenue)::text AS "revenue", sum(p.transactions)::integer AS "transactions",
           sum(p.returned_units)::text AS "returnedUnits", round(sum(p.returned_revenue), 2)::text AS "returnedRevenue"
    FROM parts p
    GROUP BY p.product_id
    ORDER BY ${order}, p.product_id
    LIMIT ${limit}`;
}

/** Units, revenue and transactions per product of `productIds` over the segments. */
export function productSalesSql(segments: readonly Segment[], filters: SalesFilters): Sql {
  return sql`/* productSalesSummary */
    WITH parts AS (
      ${segmentRows(segments, filters)}
    )
    SELECT p.product_id AS "productId", sum(p.units)::text AS "units",
           sum(p.revenue)::text AS "revenue", sum(p.transactions)::integer AS "transactions",
           sum(p.returned_units)::text AS "returnedUnits", round(sum(p.returned_revenue), 2)::text AS "returnedRevenue"
    FROM parts p
    GROUP BY p.product_id`;
}

/**
 * Daily sales rows (store_id, product_id, bucket = UTC day, units, revenue, returned_units,
 * returned_revenue) of the UTC days in `[from, to)`: the daily rollup, or (benchmarks comparing
 * the two) the same aggregate straight from transactions (index on time).
 */
export function dailyRows(
  rollups: boolean,
  window: { from: Date; to: Date },
  filters: SalesFilters,
): Sql {
  if (rollups) {
    const parts = rollupViews('daily').map(
      (view) => sql`SELECT r.store_id, r.product_id, r.bucket, r.units, r.revenue,
             r.returned_units, r.returned_revenue
      FROM ${view} r
      WHERE r.bucket >= ${window.from}::timestamptz AND r.bucket < ${window.to}::timestamptz
      ${filterClause(sql`r`, filters)}`,
    );
    return sql`(${join(parts, '\n      UNION ALL\n      ')})`;
  }
  return sql`(SELECT x.store_id, x.product_id,
             date_trunc('day', x.time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
             sum(x.quantity)::bigint AS units, sum(x.revenue) AS revenue,
             coalesce(sum(-x.quantity) FILTER (WHERE x.quantity < 0), 0)::bigint AS returned_units,
             coalesce(sum(-x.revenue) FILTER (WHERE x.quantity < 0), 0) AS returned_revenue
      FROM sale_lines x
      WHERE x.time >= ${window.from}::timestamptz AND x.time < ${window.to}::timestamptz
      ${filterClause(sql`x`, filters)}
      GROUP BY 1, 2, 3)`;
}

/** One page of daily rows, keyset on (day, store id, product id). */
export function dailySalesSql(page: {
  rollups: boolean;
  range: { from: Date; to: Date };
  filters: SalesFilters;
  after: readonly [string, string, string] | null;
  limit: number;
}): Sql {
  // The keyset's day also narrows the scanned time range.
  const afterDay = page.after ? new Date(`${page.after[0]}T00:00:00Z`) : null;
  const from =
    afterDay && afterDay.getTime() > page.range.from.getTime() ? afterDay : page.range.from;
  return sql`/* dailySales */
    SELECT to_char(d.bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "day", d.store_id AS "storeId",
           d.product_id AS "productId", d.units::text AS "units", d.revenue::text AS "revenue",
           d.returned_units::text AS "returnedUnits", round(d.returned_revenue, 2)::text AS "returnedRevenue"
    FROM ${dailyRows(page.rollups, { from, to: page.range.to }, page.filters)} d
    ${page.after ? sql`WHERE (d.bucket, d.store_id, d.product_id) > (${afterDay}::timestamptz, ${page.after[1]}::uuid, ${page.after[2]}::uuid)` : empty}
    ORDER BY d.bucket, d.store_id, d.product_id
    LIMIT ${page.limit + 1}`;
}

/**
 * One page of sales velocity: every store/product pair with a sale or an inventory snapshot
 * in the window, its average units and revenue per calendar day (revenue rounded half-up to
 * cents), keyset on (store id, product id).
 */
export function salesVelocitySql(page: {
  rollups: boolean;
  window: { from: Date; to: Date };
  windowDays: number;
  filters: SalesFilters;
  after: readonly [string, string] | null;
  limit: number;
}): Sql {
  const { from, to } = page.window;
  return sql`/* salesVelocity */
    WITH days AS MATERIALIZED ${dailyRows(page.rollups, page.window, page.filters)},
    pairs AS (
      SELECT d.store_id, d.product_id FROM days d
      UNION
      SELECT i.store_id, i.product_id FROM inventory_snapshots i
      WHERE i.time >= ${from}::timestamptz AND i.time < ${to}::timestamptz
        ${filterClause(sql`i`, page.filters)}
    ), page AS (
      SELECT k.store_id, k.product_id FROM pairs k
      ${page.after ? sql`WHERE (k.store_id, k.product_id) > (${page.after[0]}::uuid, ${page.after[1]}::uuid)` : empty}
      ORDER BY k.store_id, k.product_id
      LIMIT ${page.limit + 1}
    )
    SELECT k.store_id AS "storeId", k.product_id AS "productId",
           coalesce(sum(d.units), 0)::float8 / ${page.windowDays}::integer AS "unitsPerDay",
           round(coalesce(sum(d.revenue), 0) / ${page.windowDays}::integer, 2)::text AS "revenuePerDay"
    FROM page k
    LEFT JOIN days d ON d.store_id = k.store_id AND d.product_id = k.product_id
    GROUP BY k.store_id, k.product_id
    ORDER BY k.store_id, k.product_id`;
}
