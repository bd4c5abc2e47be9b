import sql, { empty, join, raw, type Sql } from 'sql-template-tag';
import {
  DIMENSION_NAMES,
  type DimensionName,
  dimensionAnswers,
  dimensionColumn,
  dimensionColumns,
  dimensionList,
  groupedOrder,
  groupKeys,
  needsCatalog,
  sameGroup,
  type GroupBy,
} from '../analytics/dimensions.js';
import {
  linePartColumns,
  measureColumns,
  partColumns,
  partsOf,
  partsOrZero,
  partsAs,
  PARTS,
  meanColumns,
  measureValue,
  receiptScope,
  scoped,
  summedParts,
  type MeasureName,
  type MeasureValues,
  type PartName,
} from '../analytics/measures.js';
import {
  bucketSeries,
  bucketStart,
  inWeek53Sql,
  retailYearForwardSql,
  shiftSql,
  type CalendarBuckets,
  type WallShift,
} from '../analytics/time.js';
import type { ArchiveHorizon } from '../db/request-db.js';
import type { Granularity, Segment } from './plan.js';

export type { GroupBy } from '../analytics/dimensions.js';

/** Row filters shared by the sales queries; null means no filter. */
export interface SalesFilters {
  storeIds: readonly string[] | null;
  productIds: readonly string[] | null;
  categories: readonly string[] | null;
}

/**
 * The filters of a statement, with the request's tenant: bound as `customer_id = $n` on every
 * tenant relation beside the policies (row-level security stays the guarantee), so Citus
 * routes the statement to the tenant's shard.
 */
export interface RoutedFilters extends SalesFilters {
  tenant: string;
  /**
   * The archive horizon as the statement's snapshot sees it, when the request reads one
   * snapshot: segments then read only the rollup views holding their buckets. Undefined: the
   * statement decides per segment as it runs.
   */
  archive?: ArchiveHorizon;
}

/** Buckets in one zone for every row, or in each store's own zone. */
export type ZoneSpec =
  | { kind: 'fixed'; zone: string }
  | { kind: 'perStore'; stores: readonly { storeId: string; zone: string }[] };

/** Which groups get zero buckets with fillGaps: those with sales, or a given list of keys. */
export type GapGroups =
  | { kind: 'present' }
  | { kind: 'stores'; storeIds: readonly string[] }
  | { kind: 'products'; productIds: readonly string[] };

export interface TrendStatement {
  segments: readonly Segment[];
  granularity: Granularity;
  zone: ZoneSpec;
  filters: RoutedFilters;
  groupBy: GroupBy;
  fillGaps: boolean;
  gapGroups: GapGroups;
  range: { from: Date; to: Date };
  /** The tenant's week start and retail periods over every bucketed day. */
  calendar: CalendarBuckets;
  /** Rows fetched at most (the caller asks for one more than it accepts). */
  limit: number;
  /** Read the per-store rollups when no product is asked about. */
  storeRollups?: boolean;
  /** Rolling and running totals per bucket, when asked for. */
  window?: TrendWindow;
  /** The same measures over a compared range, bucket by bucket, when asked for. */
  compare?: TrendComparison;
  /**
   * The measures the answer's rows carry (every measure when absent): what the client asked
   * for, so a large answer reads, parses and holds no column it will not send. A windowed or
   * compared trend carries every measure.
   */
  measures?: readonly MeasureName[];
}

/**
 * A comparison: the compared range's segments, the wall-clock step from a bucket back to its
 * compared one, and the oldest instant whose lines are still kept (compared buckets that start
 * before it are not answered).
 */
export interface TrendComparison {
  segments: readonly Segment[];
  shift: WallShift;
  horizon: Date;
  /**
   * PREVIOUS_YEAR in the retail calendar: each line moves to the same week of the next fiscal
   * year (the calendar's fiscalYears), lines of a 53rd week meet no bucket, and a 53rd week's
   * bucket has nothing to be compared with.
   */
  retail: boolean;
}

/** Window totals of a trend: over the last `rolling` buckets, and from the range's start. */
export interface TrendWindow {
  rolling: number | null;
  cumulative: boolean;
  /** The lead-in before the range, read to complete the first rolling values. */
  lead: { from: Date; segments: readonly Segment[] };
}

/** One row of a trend answer, columns as the statement returns them. */
export interface TrendRow extends MeasureValues {
  bucket: Date;
  storeId: string | null;
  productId: string | null;
  category: string | null;
}

/** Row filters on a source aliased `alias` (a rollup view or transactions). */
function filterClause(alias: Sql, filters: RoutedFilters): Sql {
  return sql`AND ${alias}.customer_id = ${filters.tenant}::uuid
      ${filters.storeIds ? sql`AND ${alias}.store_id = ANY(${filters.storeIds}::uuid[])` : empty}
      ${filters.productIds ? sql`AND ${alias}.product_id = ANY(${filters.productIds}::uuid[])` : empty}
      ${filters.categories ? sql`AND ${alias}.product_id IN (SELECT c.id FROM products c WHERE c.customer_id = ${filters.tenant}::uuid AND c.category = ANY(${filters.categories}::text[]))` : empty}`;
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
 * The rollup views a segment reads, each with the condition it is read under. The live view
 * holds the buckets from the archive horizon on, the archived one those before it. With the
 * horizon known in the statement's snapshot, a view holding none of the segment's buckets is
 * left out (not even planned: the archived view plans a scan of every chunk of the segment's
 * range); otherwise the archived view is read only when the horizon, as the statement runs, is
 * after the segment's start (a one-time filter).
 */
function rollupSources(
  s: Segment,
  archive: ArchiveHorizon | undefined,
  live: Sql,
  archived: Sql,
): [Sql, Sql][] {
  if (archive === undefined) {
    const archivedOnly = sql`AND (SELECT h.boundary FROM archive_horizons h WHERE h.relation = 'transactions') > ${s.from}::timestamptz`;
    return [
      [live, empty],
      [archived, archivedOnly],
    ];
  }
  const before = archive.before?.getTime() ?? -Infinity;
  const sources: [Sql, Sql][] = [];
  if (s.to.getTime() > before) sources.push([live, empty]);
  if (s.from.getTime() < before) sources.push([archived, empty]);
  return sources;
}

/**
 * The rows of each segment, UNION ALL: rollup rows (one per store, product and UTC hour or day;
 * with `perStore`, one per store and UTC hour or day, product_id NULL, and the archived rollup's
 * rows with product_id NULL) and raw sale lines, with a common shape (customer_id, store_id,
 * product_id, t, then the measures' additive parts) ready to be bucketed and re-aggregated.
 */
export function segmentRows(
  segments: readonly Segment[],
  filters: RoutedFilters,
  perStore = false,
): Sql {
  const parts = segments.map((s) => {
    if (s.source === 'raw') {
      return sql`SELECT x.customer_id, x.store_id, x.product_id, x.time AS t,
             ${linePartColumns(sql`x`)}
      FROM sale_lines x
      WHERE x.time >= ${s.from}::timestamptz AND x.time < ${s.to}::timestamptz
      ${filterClause(sql`x`, filters)}`;
    }
    const [live, archived] = rollupViews(s.source);
    const perStoreLive = s.source === 'daily' ? sql`store_sales_daily` : sql`store_sales_hourly`;
    return join(
      rollupSources(s, filters.archive, perStore ? perStoreLive : live, archived).map(
        ([view, gate]) => sql`SELECT r.customer_id, r.store_id,
             ${perStore ? sql`NULL::uuid` : sql`r.product_id`} AS product_id, r.bucket AS t,
             ${partColumns(sql`r`)}
      FROM ${view} r
      WHERE r.bucket >= ${s.from}::timestamptz AND r.bucket < ${s.to}::timestamptz
      ${gate}
      ${filterClause(sql`r`, filters)}`,
      ),
      '\n      UNION ALL\n      ',
    );
  });
  return join(parts, '\n      UNION ALL\n      ');
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
  const sc = (part: (p: PartName) => Sql) => scoped(receiptScope(q.groupBy, q.filters), part);
  const zoneCol = q.zone.kind === 'perStore' ? sql`z.zone` : sql`${q.zone.zone}::text`;
  const segments = q.window ? [...q.window.lead.segments, ...q.segments] : q.segments;
  // The lead-in's lines in the range's first bucket are before the range: not in that bucket.
  const leadInFirstBucket = q.window
    ? sql`WHERE p.t >= ${q.range.from}::timestamptz
         OR ${bucketStart(q.granularity, sql`p.t`, zoneCol, q.calendar)} < ${bucketStart(q.granularity, sql`${q.range.from}::timestamptz`, zoneCol, q.calendar)}`
    : empty;
  const agg = sql`agg AS (
      SELECT ${zoneCol} AS zone, ${bucketStart(q.granularity, sql`p.t`, zoneCol, q.calendar)} AS bucket,
             ${groupKeys(q.groupBy, sql`p`, sql`c`)},
             ${summedParts(sql`p`)}
      FROM parts p
      ${perStore ? sql`JOIN zones z ON z.store_id = p.store_id` : empty}
      ${needsCatalog(q.groupBy) ? sql`JOIN products c ON c.customer_id = p.customer_id AND c.id = p.product_id` : empty}
      ${leadInFirstBucket}
      GROUP BY ${groupPositions(2 + DIMENSION_NAMES.length)}
    )`;
  const head = sql`/* salesTrend */
    WITH zones AS (
      ${zoneRows(q.zone)}
    ), parts AS (
      ${segmentRows(segments, q.filters, perStoreRows(q))}
    ), ${agg}`;
  if (q.window) return windowedTrend(q, q.window, head);
  if (q.compare) return comparedTrend(q, q.compare, head, zoneCol);
  if (!q.fillGaps) {
    return sql`${head}
    SELECT a.bucket AS "bucket", ${dimensionAnswers(sql`a`)},
           ${measureColumns(sc(partsOf(sql`a`)), '', q.measures)}
    FROM agg a
    ORDER BY a.bucket${groupedOrder(q.groupBy, sql`a`)}
    LIMIT ${q.limit}`;
  }
  return sql`${head}, series AS (
      SELECT zz.zone, b.bucket
      FROM (SELECT DISTINCT zone FROM zones) zz
      CROSS JOIN LATERAL (${bucketSeries(q.granularity, sql`zz.zone`, q.range.from, q.range.to, q.calendar)}) b
    ), groups AS (
      ${gapGroupRows(q)}
    )
    SELECT s.bucket AS "bucket", ${dimensionAnswers(sql`g`)},
           ${measureColumns(sc(partsOrZero(sql`a`)), '', q.measures)}
    FROM groups g
    JOIN series s ON s.zone = g.zone
    LEFT JOIN agg a ON a.zone = g.zone AND a.bucket = s.bucket
      ${sameGroup(q.groupBy, sql`a`, sql`g`)}
    ORDER BY s.bucket${groupedOrder(q.groupBy, sql`g`)}
    LIMIT ${q.limit}`;
}

/**
 * A trend with window totals: every bucket from the lead-in to the range's end for every group
 * (zeros where nothing sold, so a window of N rows is N buckets), the rolling sums over the last
 * N rows and the running sums of the range's rows, then the range's buckets (with sales unless
 * fillGaps). Every window measure combines summed parts, as the bucket's own measures do.
 */
function windowedTrend(q: TrendStatement, w: TrendWindow, head: Sql): Sql {
  const first = bucketStart(
    q.granularity,
    sql`${q.range.from}::timestamptz`,
    sql`s.zone`,
    q.calendar,
  );
  const sc = (part: (p: PartName) => Sql) => scoped(receiptScope(q.groupBy, q.filters), part);
  const partition = sql`PARTITION BY f.zone, ${dimensionList(sql`f`)} ORDER BY f.bucket`;
  const rolling = w.rolling;
  const rollingPart = (p: PartName) => sql`f.${raw(`rolling_${p}`)}`;
  const rollingSum = (p: PartName) =>
    rolling
      ? sql`sum(f.${raw(p)}) OVER (${partition} ROWS BETWEEN ${rolling - 1}::integer PRECEDING AND CURRENT ROW)`
      : sql`NULL::numeric`;
  const runningSum = (p: PartName) =>
    w.cumulative
      ? sql`sum(f.${raw(p)}) FILTER (WHERE f.in_range) OVER (${partition} ROWS UNBOUNDED PRECEDING)`
      : sql`NULL::numeric`;
  return sql`${head}, series AS (
      SELECT zz.zone, b.bucket
      FROM (SELECT DISTINCT zone FROM zones) zz
      CROSS JOIN LATERAL (${bucketSeries(q.granularity, sql`zz.zone`, w.lead.from, q.range.to, q.calendar)}) b
    ), groups AS (
      ${gapGroupRows(q)}
    ), filled AS (
      SELECT s.zone, s.bucket, ${dimensionList(sql`g`)}, s.bucket >= ${first} AS in_range,
             a.bucket IS NOT NULL AS present,
             ${partsAs(partsOrZero(sql`a`), '')}
      FROM groups g
      JOIN series s ON s.zone = g.zone
      LEFT JOIN agg a ON a.zone = g.zone AND a.bucket = s.bucket
        ${sameGroup(q.groupBy, sql`a`, sql`g`)}
    ), windowed AS (
      SELECT f.*,
             ${partsAs(rollingSum, 'rolling_')},
             ${partsAs(runningSum, 'cumulative_')}
      FROM filled f
    )
    SELECT f.bucket AS "bucket", ${dimensionAnswers(sql`f`)},
           ${measureColumns(sc(partsOf(sql`f`)))},
           ${measureColumns(sc(rollingPart), 'rolling.sum.')},
           ${meanColumns(sc(rollingPart), rolling ?? 1, 'rolling.mean.')},
           ${measureColumns(
             sc((p) => sql`f.${raw(`cumulative_${p}`)}`),
             'cumulative.',
           )}
    FROM windowed f
    WHERE f.in_range ${q.fillGaps ? empty : sql`AND f.present`}
    ORDER BY f.bucket${groupedOrder(q.groupBy, sql`f`)}
    LIMIT ${q.limit}`;
}

/**
 * A trend with every bucket compared: the compared range's rows, each moved forward by the
 * shift on the zone's wall clock and bucketed as the range's own, so bucket b meets the lines
 * of the compared span of b (a 31-day month meets the month before as one bucket). The answer
 * lists every bucket with sales in either (every bucket with fillGaps), its measures, the
 * compared ones, whether the compared span is still kept, and the change.
 */
function comparedTrend(q: TrendStatement, c: TrendComparison, head: Sql, zoneCol: Sql): Sql {
  const perStore = q.zone.kind === 'perStore';
  const sc = (part: (p: PartName) => Sql) => scoped(receiptScope(q.groupBy, q.filters), part);
  const first = bucketStart(
    q.granularity,
    sql`${q.range.from}::timestamptz`,
    sql`k.zone`,
    q.calendar,
  );
  const fiscalYears = q.calendar.fiscalYears;
  const moved = c.retail
    ? retailYearForwardSql(sql`p.t`, zoneCol, fiscalYears)
    : shiftSql(sql`p.t`, zoneCol, c.shift, 1);
  const compared = (alias: Sql) => (p: PartName) =>
    sql`coalesce(${alias}.${raw(`c_${p}`)}, ${PARTS[p].zero})`;
  // The range's buckets and the compared ones side by side: a hash join on the bucket and the
  // grouped keys (never null), full so a bucket with sales in either is listed.
  const paired = sql`paired AS (
      SELECT coalesce(a.zone, ca.zone) AS zone, coalesce(a.bucket, ca.bucket) AS bucket,
             ${dimensionColumns((d) => (q.groupBy[d] ? sql`coalesce(a.${dimensionColumn(d)}, ca.${dimensionColumn(d)})` : null))},
             ${partsAs(partsOf(sql`a`), '')},
             ${partsAs(partsOf(sql`ca`), 'c_')}
      FROM agg a
      FULL JOIN cagg ca ON ca.zone = a.zone AND ca.bucket = a.bucket
        ${sameGroup(q.groupBy, sql`ca`, sql`a`)}
    )`;
  const keys = q.fillGaps
    ? sql`SELECT g.zone, s.bucket, ${dimensionList(sql`g`)},
             ${partColumns(sql`m`)}, ${partsAs((p) => sql`m.${raw(`c_${p}`)}`, 'c_')}
      FROM (${gapGroupRows(q, sql`paired`)}) g
      JOIN (SELECT zz.zone, b.bucket
            FROM (SELECT DISTINCT zone FROM zones) zz
            CROSS JOIN LATERAL (${bucketSeries(q.granularity, sql`zz.zone`, q.range.from, q.range.to, q.calendar)}) b) s
        ON s.zone = g.zone
      LEFT JOIN paired m ON m.zone = g.zone AND m.bucket = s.bucket
        ${sameGroup(q.groupBy, sql`m`, sql`g`)}`
    : sql`SELECT * FROM paired`;
  return sql`${head}, cparts AS (
      ${segmentRows(c.segments, q.filters, perStoreRows(q))}
    ), cagg AS (
      SELECT ${zoneCol} AS zone,
             ${bucketStart(q.granularity, moved, zoneCol, q.calendar)} AS bucket,
             ${groupKeys(q.groupBy, sql`p`, sql`c`)},
             ${summedParts(sql`p`)}
      FROM cparts p
      ${perStore ? sql`JOIN zones z ON z.store_id = p.store_id` : empty}
      ${needsCatalog(q.groupBy) ? sql`JOIN products c ON c.customer_id = p.customer_id AND c.id = p.product_id` : empty}${
        c.retail
          ? sql`
      WHERE NOT ${inWeek53Sql(sql`p.t`, zoneCol, fiscalYears)}`
          : empty
      }
      GROUP BY ${groupPositions(2 + DIMENSION_NAMES.length)}
    ), ${paired}, keys AS (
      ${keys}
    )
    SELECT k.bucket AS "bucket", ${dimensionAnswers(sql`k`)},
           ${measureColumns(sc(partsOrZero(sql`k`)))},
           ${measureColumns(sc(compared(sql`k`)), 'compared.')},
           greatest(k.bucket, ${q.range.from}::timestamptz)
             >= ${shiftSql(sql`${c.horizon}::timestamptz`, zoneCol, c.shift, 1)}${
               c.retail
                 ? sql` AND NOT ${inWeek53Sql(sql`k.bucket`, sql`k.zone`, fiscalYears)}`
                 : empty
             } AS "compared.covered"
    FROM keys k
    WHERE k.bucket >= ${first} AND k.bucket < ${q.range.to}::timestamptz
    ORDER BY k.bucket${groupedOrder(q.groupBy, sql`k`)}
    LIMIT ${q.limit}`;
}

/**
 * `1, 2, …, n`: output columns by position, since a name in GROUP BY would mean the input
 * column of that name (store_id of the sale rows) rather than the grouped key.
 */
function groupPositions(n: number): Sql {
  return raw(Array.from({ length: n }, (_, i) => String(i + 1)).join(', '));
}

/** The groups a gap-filled trend lists every bucket for, with their zone. */
function gapGroupRows(q: TrendStatement, aggregate: Sql = sql`agg`): Sql {
  const gaps = q.gapGroups;
  switch (gaps.kind) {
    case 'stores':
      return sql`SELECT z.zone, ${dimensionColumns((d) => (d === 'store' ? sql`z.store_id` : null))}
      FROM zones z`;
    case 'products':
      return sql`SELECT zz.zone, ${dimensionColumns((d) => (d === 'product' ? sql`k.product_id` : null))}
      FROM (SELECT DISTINCT zone FROM zones) zz
      CROSS JOIN unnest(${gaps.productIds}::uuid[]) AS k(product_id)`;
    case 'present':
      if (!Object.values(q.groupBy).some(Boolean)) {
        return sql`SELECT DISTINCT zone, ${dimensionColumns(() => null)} FROM zones`;
      }
      return sql`SELECT DISTINCT zone, ${dimensionList(null)} FROM ${aggregate} x`;
  }
}

/** One row of a ranking answer: a ranked key (part 0), everything below them (1) or all (2). */
export interface RankingRow extends MeasureValues {
  part: 0 | 1 | 2;
  rank: number | null;
  storeId: string | null;
  productId: string | null;
  category: string | null;
  share: string | null;
}

/** Decimal places of a ranking row's share of the total. */
export const SHARE_SCALE = 6;

/**
 * A ranking in one statement: every measure per key of `dimension` over the segments, ranked by
 * measure `by` (highest first, ties by key), the first `first` keys, optionally the sum of all
 * keys below them (`other`), and the total of all keys, so that rows + other = total exactly.
 * Each row's share is its `by` over the total's (rounded half-up to SHARE_SCALE places; null
 * when the total is 0).
 */
export function rankingSql(q: {
  segments: readonly Segment[];
  filters: RoutedFilters;
  dimension: DimensionName;
  by: MeasureName;
  first: number;
  other: boolean;
  /** The compared range's segments: each row also carries its measures there. */
  compared?: readonly Segment[];
}): Sql {
  const groupBy = { store: false, product: false, category: false, [q.dimension]: true };
  const sc = (part: (p: PartName) => Sql) => scoped(receiptScope(groupBy, q.filters), part);
  const byValue = (alias: Sql) => measureValue(q.by, sc(partsOrZero(alias)));
  const nothing = dimensionColumns(() => null);
  const cmp = q.compared;
  const cparts = (p: PartName) => sql`coalesce(x.${raw(`c_${p}`)}, ${PARTS[p].zero})`;
  const withCompared = (source: Sql) => (cmp ? sql`, ${partsAs(partsOf(source), 'c_')}` : empty);
  return sql`/* salesRanking */
    WITH parts AS (
      ${segmentRows(q.segments, q.filters)}
    ), agg AS (
      SELECT ${groupKeys(groupBy, sql`p`, sql`c`)},
             ${summedParts(sql`p`)}
      FROM parts p
      ${needsCatalog(groupBy) ? sql`JOIN products c ON c.customer_id = p.customer_id AND c.id = p.product_id` : empty}
      GROUP BY ${groupPositions(DIMENSION_NAMES.length)}
    ), ranked AS (
      SELECT a.*, row_number() OVER (ORDER BY ${byValue(sql`a`)} DESC NULLS LAST, ${dimensionList(sql`a`)}) AS rank
      FROM agg a
    ), total AS (
      SELECT ${summedParts(sql`r`)} FROM ranked r
    ), rest AS (
      SELECT ${summedParts(sql`r`)} FROM ranked r WHERE r.rank > ${q.first}
    )${
      cmp
        ? sql`, cparts AS (
      ${segmentRows(cmp, q.filters)}
    ), cagg AS (
      SELECT ${groupKeys(groupBy, sql`p`, sql`c`)},
             ${summedParts(sql`p`)}
      FROM cparts p
      ${needsCatalog(groupBy) ? sql`JOIN products c ON c.customer_id = p.customer_id AND c.id = p.product_id` : empty}
      GROUP BY ${groupPositions(DIMENSION_NAMES.length)}
    ), ctotal AS (
      SELECT ${summedParts(sql`ca`)} FROM cagg ca
    ), crest AS (
      SELECT ${summedParts(sql`ca`)} FROM cagg ca
      WHERE NOT EXISTS (SELECT FROM ranked r WHERE r.rank <= ${q.first} ${sameGroup(groupBy, sql`r`, sql`ca`)})
    )`
        : empty
    }, answer AS (
      SELECT 0 AS part, r.rank, ${dimensionList(sql`r`)}, ${partColumns(sql`r`)}${withCompared(sql`ca`)}
      FROM ranked r
      ${cmp ? sql`LEFT JOIN cagg ca ON true ${sameGroup(groupBy, sql`ca`, sql`r`)}` : empty}
      WHERE r.rank <= ${q.first}
      ${
        q.other
          ? sql`UNION ALL
      SELECT 1, NULL, ${nothing}, ${partColumns(sql`o`)}${withCompared(sql`co`)}
      FROM rest o ${cmp ? sql`CROSS JOIN crest co` : empty}`
          : empty
      }
      UNION ALL
      SELECT 2, NULL, ${nothing}, ${partColumns(sql`t`)}${withCompared(sql`ct`)}
      FROM total t ${cmp ? sql`CROSS JOIN ctotal ct` : empty}
    )
    SELECT x.part AS "part", x.rank::integer AS "rank", ${dimensionAnswers(sql`x`)},
           ${measureColumns(sc(partsOrZero(sql`x`)))},
           CASE WHEN ${byValue(sql`t`)} = 0 THEN NULL
                ELSE round((${byValue(sql`x`)})::numeric / (${byValue(sql`t`)}), ${SHARE_SCALE})::text END AS "share"
           ${cmp ? sql`, ${measureColumns(sc(cparts), 'compared.')}, true AS "compared.covered"` : empty}
    FROM answer x CROSS JOIN total t
    ORDER BY x.part, x.rank`;
}

/** Parts of rows about one product each: their receipts are those containing the product. */
const perProductParts = (part: (p: PartName) => Sql) => scoped('products', part);

/**
 * Every measure for each product of `productIds` over the segments, one row per product (zeros
 * where it sold nothing).
 */
export function productSalesSql(
  segments: readonly Segment[],
  filters: RoutedFilters & { productIds: readonly string[] },
  compared?: readonly Segment[],
): Sql {
  const perProduct = (rows: Sql) => sql`SELECT p.product_id, ${summedParts(sql`p`)}
      FROM ${rows} p
      GROUP BY p.product_id`;
  return sql`/* productSalesSummary */
    WITH parts AS (
      ${segmentRows(segments, filters)}
    ), agg AS (
      ${perProduct(sql`parts`)}
    )${
      compared
        ? sql`, cparts AS (
      ${segmentRows(compared, filters)}
    ), cagg AS (
      ${perProduct(sql`cparts`)}
    )`
        : empty
    }
    SELECT k.product_id AS "productId", ${measureColumns(perProductParts(partsOrZero(sql`a`)))}
           ${compared ? sql`, ${measureColumns(perProductParts(partsOrZero(sql`ca`)), 'compared.')}, true AS "compared.covered"` : empty}
    FROM unnest(${filters.productIds}::uuid[]) AS k(product_id)
    LEFT JOIN agg a ON a.product_id = k.product_id
    ${compared ? sql`LEFT JOIN cagg ca ON ca.product_id = k.product_id` : empty}`;
}

/**
 * Daily sales rows (store_id, product_id, bucket = UTC day, then the measures' parts) of the
 * UTC days in `[from, to)`: the daily rollup, or (benchmarks comparing the two) the same
 * aggregate straight from transactions (index on time).
 */
export function dailyRows(
  rollups: boolean,
  window: { from: Date; to: Date },
  filters: RoutedFilters,
): Sql {
  if (rollups) {
    const parts = rollupViews('daily').map(
      (view) => sql`SELECT r.store_id, r.product_id, r.bucket,
             ${partColumns(sql`r`)}
      FROM ${view} r
      WHERE r.bucket >= ${window.from}::timestamptz AND r.bucket < ${window.to}::timestamptz
      ${filterClause(sql`r`, filters)}`,
    );
    return sql`(${join(parts, '\n      UNION ALL\n      ')})`;
  }
  return sql`(SELECT x.store_id, x.product_id,
             date_trunc('day', x.time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
             ${summedParts(sql`x`, true)}
      FROM sale_lines x
      WHERE x.time >= ${window.from}::timestamptz AND x.time < ${window.to}::timestamptz
      ${filterClause(sql`x`, filters)}
      GROUP BY 1, 2, 3)`;
}

/** One page of daily rows, keyset on (day, store id, product id). */
export function dailySalesSql(page: {
  rollups: boolean;
  range: { from: Date; to: Date };
  filters: RoutedFilters;
  after: readonly [string, string, string] | null;
  limit: number;
}): Sql {
  // The keyset's day also narrows the scanned time range.
  const afterDay = page.after ? new Date(`${page.after[0]}T00:00:00Z`) : null;
  const from =
    afterDay && afterDay.getTime() > page.range.from.getTime() ? afterDay : page.range.from;
  return sql`/* dailySales */
    SELECT to_char(d.bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "day", d.store_id AS "storeId",
           d.product_id AS "productId", ${measureColumns(perProductParts(partsOf(sql`d`)))}
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
  filters: RoutedFilters;
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
