import sql, { join, raw, type Sql } from 'sql-template-tag';
import { RATIO_SCALE } from '../analytics/measures.js';

/**
 * Where a measure can be read from. `rollups`: its parts are sums kept in every sales rollup,
 * so any route of the sales model serves it. `lines`: it needs the receipt of each line, which
 * no rollup keeps, so a statement that offers it reads the range's raw sale lines.
 */
export type MeasureSource = 'rollups' | 'lines';

/**
 * The parts of the receipt measures no rollup keeps, each an aggregate over raw sale lines
 * aliased `x` (they need each line's receipt). A receipt is the pair (store, receiptId); a
 * basket is a receipt with at least one sale line (a receipt holding only returns is no
 * basket). Over the lines of a product, `receipts` counts the baskets containing the product:
 * a basket with three products counts once for each, so receipts by product are not additive
 * across products (the sum over products exceeds the baskets); per store and time they are,
 * since a receipt has one store and one moment.
 */
export const RECEIPT_PARTS = {
  receipts: (x: Sql) =>
    sql`count(DISTINCT (${x}.store_id, ${x}.receipt_id)) FILTER (WHERE ${x}.receipt_id IS NOT NULL AND ${x}.quantity > 0)`,
  receipt_units: (x: Sql) =>
    sql`coalesce(sum(${x}.quantity) FILTER (WHERE ${x}.receipt_id IS NOT NULL AND ${x}.quantity > 0), 0)::bigint`,
  receipt_revenue: (x: Sql) =>
    sql`coalesce(sum(${x}.revenue) FILTER (WHERE ${x}.receipt_id IS NOT NULL), 0)::numeric`,
} as const satisfies Record<string, (x: Sql) => Sql>;

export type ReceiptPartName = keyof typeof RECEIPT_PARTS;

/** What a receipt measure is computed from: its own parts and the model's additive ones. */
type ReceiptMeasurePart = ReceiptPartName | 'units' | 'revenue';

/** `num ÷ den` rounded half-up to RATIO_SCALE places, as exact text; null when `den` is 0. */
function ratio(num: Sql, den: Sql): Sql {
  return sql`CASE WHEN (${den}) = 0 THEN NULL ELSE round((${num})::numeric / (${den}), ${RATIO_SCALE})::text END`;
}

export interface ReceiptMeasure {
  type: 'Int' | 'Decimal';
  source: MeasureSource;
  description: string;
  /** The value from the parts (`part(name)` is a part's aggregate), written for the answer. */
  value: (part: (name: ReceiptMeasurePart) => Sql) => Sql;
}

/** The receipt measures: declared once, every basket answer and the tests' oracle derive from them. */
export const RECEIPT_MEASURES = {
  receipts: {
    type: 'Int',
    source: 'lines',
    description:
      'Receipts with at least one sale line (a receipt holding only returns is no basket); split by product, the receipts containing the product (not additive across products).',
    value: (part) => sql`coalesce(${part('receipts')}, 0)::integer`,
  },
  averageReceiptValue: {
    type: 'Decimal',
    source: 'lines',
    description: `Net revenue of the lines on receipts (returns included) ÷ receipts, rounded half-up to ${RATIO_SCALE} places; null without receipts.`,
    value: (part) => ratio(part('receipt_revenue'), part('receipts')),
  },
  unitsPerReceipt: {
    type: 'Decimal',
    source: 'lines',
    description: `Units sold on receipts ÷ receipts (the mean of receiptSizes), rounded half-up to ${RATIO_SCALE} places; null without receipts.`,
    value: (part) => ratio(part('receipt_units'), part('receipts')),
  },
  averageUnitPrice: {
    type: 'Decimal',
    source: 'rollups',
    description: `Net revenue ÷ net units of every line (with or without a receipt), rounded half-up to ${RATIO_SCALE} places; null when net units are 0.`,
    value: (part) => ratio(part('revenue'), part('units')),
  },
} as const satisfies Record<string, ReceiptMeasure>;

export type ReceiptMeasureName = keyof typeof RECEIPT_MEASURES;

export const RECEIPT_MEASURE_NAMES = Object.keys(RECEIPT_MEASURES) as ReceiptMeasureName[];

/** The values of the receipt measures as an answer row carries them. */
export type ReceiptMeasureValues = {
  receipts: number;
  averageReceiptValue: string | null;
  unitsPerReceipt: string | null;
  averageUnitPrice: string | null;
};

/** Whether answering `names` needs the raw lines (one of them is read from lines only). */
export function needsLines(names: readonly string[]): boolean {
  return RECEIPT_MEASURE_NAMES.some(
    (n) => names.includes(n) && RECEIPT_MEASURES[n].source === 'lines',
  );
}

/** Each receipt part aggregated over the lines `x`, as `… AS part`. */
export function receiptPartColumns(x: Sql): Sql {
  return join(
    (Object.keys(RECEIPT_PARTS) as ReceiptPartName[]).map(
      (p) => sql`${RECEIPT_PARTS[p](x)} AS ${raw(p)}`,
    ),
    ',\n             ',
  );
}

/**
 * Each receipt measure as an answer column named `prefix` + measure, from the parts of rows
 * aliased `a`: with `lines`, all of them (the rows carry the receipt parts); without, those
 * read from the rollups' parts, the others null.
 */
export function receiptMeasureColumns(a: Sql, lines = true, prefix = ''): Sql {
  return join(
    RECEIPT_MEASURE_NAMES.map((m) => {
      const measure: ReceiptMeasure = RECEIPT_MEASURES[m];
      const value =
        lines || measure.source === 'rollups'
          ? measure.value((p) => sql`${a}.${raw(p)}`)
          : sql`NULL`;
      return sql`${value} AS ${raw(`"${prefix}${m}"`)}`;
    }),
    ',\n           ',
  );
}
