import sql, { join, raw, type Sql } from 'sql-template-tag';

/**
 * The additive parts of the sales measures: each is a sum over sale lines, and each is a column
 * of every sales rollup (hourly and daily, per product and per store, live and archived, on both
 * backends), so any range of rollup rows and raw lines can be summed together exactly. A part
 * is stored where the rollups are defined (the migrations); here is what it means per line.
 */
export const PARTS = {
  units: {
    line: (x: Sql) => sql`${x}.quantity::bigint`,
    type: sql`bigint`,
    zero: sql`0`,
  },
  revenue: {
    line: (x: Sql) => sql`${x}.revenue`,
    type: sql`numeric`,
    zero: sql`0.00`,
  },
  transactions: {
    line: () => sql`1::bigint`,
    type: sql`bigint`,
    zero: sql`0`,
  },
  returned_units: {
    line: (x: Sql) => sql`greatest(-${x}.quantity, 0)::bigint`,
    type: sql`bigint`,
    zero: sql`0`,
  },
  returned_revenue: {
    line: (x: Sql) => sql`CASE WHEN ${x}.quantity < 0 THEN -${x}.revenue ELSE 0 END`,
    type: sql`numeric`,
    zero: sql`0`,
  },
  // The cost of the lines that kept a unit cost (net of returns), and how many lines kept none:
  // a span's cost is known when no line of it lacks one.
  cost: {
    line: (x: Sql) => sql`coalesce(${x}.quantity * ${x}.unit_cost, 0)`,
    type: sql`numeric`,
    zero: sql`0`,
  },
  uncosted_lines: {
    line: (x: Sql) => sql`(${x}.unit_cost IS NULL)::integer::bigint`,
    type: sql`bigint`,
    zero: sql`0`,
  },
  // Receipts (a receipt is the pair store, receiptId): a sale line is marked when it is the first
  // recorded sale line of its receipt (opens_receipt) and of its product on that receipt
  // (opens_product), so each receipt counts once, in the bucket of that line, and any span of
  // buckets sums to the receipts opened in it (sql/0024_receipt_rollups). A receipt holding only
  // returns opens nothing: it is no basket.
  receipts: {
    line: (x: Sql) => sql`${x}.opens_receipt::integer::bigint`,
    type: sql`bigint`,
    zero: sql`0`,
  },
  product_receipts: {
    line: (x: Sql) => sql`${x}.opens_product::integer::bigint`,
    type: sql`bigint`,
    zero: sql`0`,
  },
  // Units of the sale lines on receipts, and the net revenue of every line on a receipt.
  receipt_units: {
    line: (x: Sql) =>
      sql`(CASE WHEN ${x}.receipt_id IS NOT NULL AND ${x}.quantity > 0 THEN ${x}.quantity ELSE 0 END)::bigint`,
    type: sql`bigint`,
    zero: sql`0`,
  },
  receipt_revenue: {
    line: (x: Sql) => sql`CASE WHEN ${x}.receipt_id IS NOT NULL THEN ${x}.revenue ELSE 0 END`,
    type: sql`numeric`,
    zero: sql`0`,
  },
} as const satisfies Record<string, { line: (x: Sql) => Sql; type: Sql; zero: Sql }>;

export type PartName = keyof typeof PARTS;

/** Every part's name, in one fixed order (the order of the rollups' columns). */
export const PART_NAMES = Object.keys(PARTS) as PartName[];

/** GraphQL scalar of a measure and the TypeScript value the statements return for it. */
interface ScalarValues {
  BigInt: string;
  Decimal: string;
  Int: number;
}

/**
 * One sales measure: how its value is computed from the summed parts (so a ratio is a ratio of
 * sums, never an average of averages), how that value leaves the database, its GraphQL type
 * and what it means. Every trend, ranking and summary offers every measure.
 */
export interface Measure {
  type: keyof ScalarValues;
  description: string;
  /** The measure as a number, from the summed parts (`part(name)` is a part's sum). */
  value: (part: (name: PartName) => Sql) => Sql;
  /** How the number is written in an answer: integers and decimals as exact text. */
  output: 'text' | 'integer' | 'cents';
  /** Null where the value is undefined (a ratio over an empty base, a cost not known). */
  nullable?: true;
  /**
   * A ratio of sums rather than a sum: the same over a window of buckets as per bucket, so its
   * mean per bucket is its value over the window.
   */
  ratio?: true;
}

/** A value from summed parts, known only when no line of the span lacks a unit cost. */
const costed = (part: (name: PartName) => Sql, value: Sql): Sql =>
  sql`CASE WHEN ${part('uncosted_lines')} = 0 THEN ${value} END`;

/** Decimal places of a rate between two measures (marginRate). */
export const RATE_SCALE = 6;

/** Decimal places of a per-receipt or per-unit value (averageReceiptValue, …). */
export const PER_SCALE = 6;

/** `num ÷ den` rounded half-up to PER_SCALE places; null when `den` is 0 or null. */
const per = (num: Sql, den: Sql): Sql =>
  sql`round((${num})::numeric / nullif(${den}, 0), ${PER_SCALE})`;

/**
 * What `receipts` counts in a shape: the receipts opened in each row (split by store or time
 * only), the receipts containing the row's product (split by product, or about one product),
 * or nothing (null) where receipts do not add up: a receipt holding two products of a
 * category, or of a set of products, is one receipt of the category or set, but two of its
 * products (see receiptScope).
 */
export type ReceiptScope = 'receipts' | 'products' | 'none';

/** What `receipts` counts when rows are split by `groupBy` under the product filters. */
export function receiptScope(
  groupBy: { product: boolean; category: boolean },
  filters: { productIds: readonly string[] | null; categories: readonly string[] | null },
): ReceiptScope {
  if (groupBy.category) return 'none';
  if (groupBy.product) return 'products';
  if (filters.categories !== null) return 'none';
  if (filters.productIds === null) return 'receipts';
  return filters.productIds.length === 1 ? 'products' : 'none';
}

/** Parts that `part` names, with `receipts` read as `scope` says. */
export function scoped(scope: ReceiptScope, part: (p: PartName) => Sql): (p: PartName) => Sql {
  if (scope === 'receipts') return part;
  return (p) =>
    p !== 'receipts'
      ? part(p)
      : scope === 'products'
        ? part('product_receipts')
        : sql`NULL::bigint`;
}

export const MEASURES = {
  units: {
    type: 'BigInt',
    description: 'Units sold net of returns (exact).',
    value: (part) => part('units'),
    output: 'text',
  },
  revenue: {
    type: 'Decimal',
    description: 'Revenue net of returns, exact, such as "1234.50".',
    value: (part) => part('revenue'),
    output: 'text',
  },
  transactions: {
    type: 'Int',
    description: 'Sale lines counted, returns included.',
    value: (part) => part('transactions'),
    output: 'integer',
  },
  returnedUnits: {
    type: 'BigInt',
    description: 'Units returned (a positive number; units sold gross = units + returnedUnits).',
    value: (part) => part('returned_units'),
    output: 'text',
  },
  returnedRevenue: {
    type: 'Decimal',
    description: 'Revenue of the returns (positive; gross revenue = revenue + returnedRevenue).',
    value: (part) => part('returned_revenue'),
    output: 'cents',
  },
  cost: {
    type: 'Decimal',
    description:
      'Cost of the units sold net of returns, at the unit cost each sale line kept: the cost in force at its sale time (Product.costHistory) when the line was recorded; null when a line of the span kept none.',
    value: (part) => costed(part, part('cost')),
    output: 'cents',
    nullable: true,
  },
  grossMargin: {
    type: 'Decimal',
    description: 'Revenue minus cost, net of returns; null when cost is null.',
    value: (part) => costed(part, sql`${part('revenue')} - ${part('cost')}`),
    output: 'cents',
    nullable: true,
  },
  marginRate: {
    type: 'Decimal',
    description: `Gross margin ÷ revenue, rounded half-up to ${RATE_SCALE} places; null when revenue is 0 or cost is null.`,
    value: (part) =>
      costed(
        part,
        sql`round((${part('revenue')} - ${part('cost')}) / nullif(${part('revenue')}, 0), ${RATE_SCALE})`,
      ),
    output: 'text',
    nullable: true,
    ratio: true,
  },
  receipts: {
    type: 'Int',
    description:
      'Receipts with at least one sale line (a receipt holding only returns is no basket), each counted once, in the bucket of its first recorded sale line. Split by product (or about one product): the receipts containing the product, counted at its first recorded sale line on them, which do not add up across products. Null where receipts do not add up: split by category, or over several products or categories without splitting by product.',
    value: (part) => part('receipts'),
    output: 'integer',
    nullable: true,
  },
  averageReceiptValue: {
    type: 'Decimal',
    description: `Net revenue of the lines on receipts (returns included) ÷ receipts, rounded half-up to ${PER_SCALE} places; null without receipts.`,
    value: (part) => per(part('receipt_revenue'), part('receipts')),
    output: 'text',
    nullable: true,
    ratio: true,
  },
  unitsPerReceipt: {
    type: 'Decimal',
    description: `Units sold on receipts ÷ receipts (the mean of receiptSizes), rounded half-up to ${PER_SCALE} places; null without receipts.`,
    value: (part) => per(part('receipt_units'), part('receipts')),
    output: 'text',
    nullable: true,
    ratio: true,
  },
  averageUnitPrice: {
    type: 'Decimal',
    description: `Net revenue ÷ net units of every line (with or without a receipt), rounded half-up to ${PER_SCALE} places; null when net units are 0.`,
    value: (part) => per(part('revenue'), part('units')),
    output: 'text',
    nullable: true,
    ratio: true,
  },
} as const satisfies Record<string, Measure>;

export type MeasureName = keyof typeof MEASURES;

/** Every measure's name, in the order answers list them. */
export const MEASURE_NAMES = Object.keys(MEASURES) as MeasureName[];

type ValueOf<M> = M extends { type: keyof ScalarValues; nullable: true }
  ? ScalarValues[M['type']] | null
  : M extends { type: keyof ScalarValues }
    ? ScalarValues[M['type']]
    : never;

/** The values of every measure, as one row of an answer carries them. */
export type MeasureValues = { [K in MeasureName]: ValueOf<(typeof MEASURES)[K]> };

const column = (name: string) => raw(`"${name}"`);

/** Each part of the rows aliased `alias`, as `alias.part AS part`. */
export function partColumns(alias: Sql): Sql {
  return join(
    PART_NAMES.map((p) => sql`${alias}.${raw(p)} AS ${raw(p)}`),
    ',\n             ',
  );
}

/** Each part of one sale line aliased `alias`, as `<value for the line> AS part`. */
export function linePartColumns(alias: Sql): Sql {
  return join(
    PART_NAMES.map((p) => sql`${PARTS[p].line(alias)} AS ${raw(p)}`),
    ',\n             ',
  );
}

/** Each part summed over the rows aliased `alias`, as `sum(alias.part)::type AS part`. */
export function summedParts(alias: Sql, line = false): Sql {
  return join(
    PART_NAMES.map(
      (p) =>
        sql`sum(${line ? PARTS[p].line(alias) : sql`${alias}.${raw(p)}`})::${PARTS[p].type} AS ${raw(p)}`,
    ),
    ',\n             ',
  );
}

/** A measure's number over summed parts that `part` names (already summed, or to be summed). */
export function measureValue(name: MeasureName, part: (p: PartName) => Sql): Sql {
  const m: Measure = MEASURES[name];
  return m.value(part);
}

function written(m: Measure, value: Sql): Sql {
  switch (m.output) {
    case 'text':
      return sql`(${value})::text`;
    case 'integer':
      return sql`(${value})::integer`;
    case 'cents':
      return sql`round(${value}, 2)::text`;
  }
}

/**
 * Every measure (or those of `names`) as answer columns (`… AS "units"`, …), from parts that
 * `part` names: the columns of an aggregate row (`a.units`), sums over rows (`sum(p.units)`),
 * or zero-filled parts of an empty bucket.
 */
export function measureColumns(
  part: (p: PartName) => Sql,
  prefix = '',
  names: readonly MeasureName[] = MEASURE_NAMES,
): Sql {
  return join(
    names.map(
      (name) =>
        sql`${written(MEASURES[name], measureValue(name, part))} AS ${column(prefix + name)}`,
    ),
    ',\n           ',
  );
}

/** Decimal places of a mean over a window of buckets. */
export const MEAN_SCALE = 6;

/**
 * Every measure divided by `count` (a window's mean per bucket), rounded half-up to
 * MEAN_SCALE places, as columns named `prefix` + measure.
 */
export function meanColumns(part: (p: PartName) => Sql, count: number, prefix: string): Sql {
  return join(
    MEASURE_NAMES.map((name) =>
      (MEASURES[name] as Measure).ratio
        ? sql`(${measureValue(name, part)})::text AS ${column(prefix + name)}`
        : sql`round((${measureValue(name, part)})::numeric / ${count}::integer, ${MEAN_SCALE})::text AS ${column(prefix + name)}`,
    ),
    ',\n           ',
  );
}

/** Each part as a column named `prefix` + part, from parts that `part` names. */
export function partsAs(part: (p: PartName) => Sql, prefix: string): Sql {
  return join(
    PART_NAMES.map((p) => sql`${part(p)} AS ${raw(prefix + p)}`),
    ',\n             ',
  );
}

/** Parts of an aggregate row aliased `alias`. */
export const partsOf =
  (alias: Sql) =>
  (p: PartName): Sql =>
    sql`${alias}.${raw(p)}`;

/** Parts of an aggregate row aliased `alias` that may be missing (an empty bucket): zero. */
export const partsOrZero =
  (alias: Sql) =>
  (p: PartName): Sql =>
    sql`coalesce(${alias}.${raw(p)}, ${PARTS[p].zero})`;

/** Decimal places of a relative change. */
export const RATIO_SCALE = 6;
