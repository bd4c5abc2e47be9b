import sql, { empty, join, raw, type Sql } from 'sql-template-tag';

/**
 * The dimensions sales can be split by besides time: what a row's key is (from a sale or rollup
 * row aliased `p`, or from the catalog row `c` of its product), its SQL type, the column it
 * travels in and the field of the answer row that carries it. The time dimension is the bucket
 * (`analytics/time.ts`).
 */
export const DIMENSIONS = {
  store: {
    key: (p: Sql) => sql`${p}.store_id`,
    type: sql`uuid`,
    column: 'store_id',
    answer: 'storeId',
    catalog: false,
    description: 'One series per store.',
  },
  product: {
    key: (p: Sql) => sql`${p}.product_id`,
    type: sql`uuid`,
    column: 'product_id',
    answer: 'productId',
    catalog: false,
    description: 'One series per product.',
  },
  category: {
    key: (_p: Sql, c: Sql) => sql`${c}.category`,
    type: sql`text`,
    column: 'category',
    answer: 'category',
    catalog: true,
    description: 'One series per product category.',
  },
} as const;

export type DimensionName = keyof typeof DIMENSIONS;

/** Every dimension's name, in the order answers sort by them. */
export const DIMENSION_NAMES = Object.keys(DIMENSIONS) as DimensionName[];

/** Which dimensions a question splits by. */
export type GroupBy = Record<DimensionName, boolean>;

/** A dimension's column name as an identifier (from the closed list above). */
export const dimensionColumn = (d: DimensionName): Sql => raw(DIMENSIONS[d].column);

/** Whether splitting by `groupBy` needs the products' catalog row (`c`) beside each sale row. */
export function needsCatalog(groupBy: GroupBy): boolean {
  return DIMENSION_NAMES.some((d) => groupBy[d] && DIMENSIONS[d].catalog);
}

/**
 * Every dimension as a column of rows aliased `p` (catalog row `c`): the key where `keyOf(d)`
 * gives one, a typed NULL elsewhere.
 */
export function dimensionColumns(keyOf: (d: DimensionName) => Sql | null): Sql {
  return join(
    DIMENSION_NAMES.map((d) => {
      const key = keyOf(d);
      return sql`${key ?? sql`NULL::${DIMENSIONS[d].type}`} AS ${dimensionColumn(d)}`;
    }),
    ',\n             ',
  );
}

/** The grouped dimensions' keys of sale rows `p` and catalog rows `c`, NULL for the others. */
export function groupKeys(groupBy: GroupBy, p: Sql, c: Sql): Sql {
  return dimensionColumns((d) => (groupBy[d] ? DIMENSIONS[d].key(p, c) : null));
}

/** Every dimension's column of rows aliased `alias`, as the answer names it. */
export function dimensionAnswers(alias: Sql): Sql {
  return join(
    DIMENSION_NAMES.map(
      (d) => sql`${alias}.${dimensionColumn(d)} AS ${raw(`"${DIMENSIONS[d].answer}"`)}`,
    ),
    ', ',
  );
}

/** Every dimension's column of rows aliased `alias`, for ORDER BY and DISTINCT. */
export function dimensionList(alias: Sql | null): Sql {
  return join(
    DIMENSION_NAMES.map((d) => (alias ? sql`${alias}.${dimensionColumn(d)}` : dimensionColumn(d))),
    ', ',
  );
}

/**
 * `, a.col` for each grouped dimension of rows aliased `alias`: an answer's order after its
 * bucket (the other dimensions are null in every row, nothing to sort by).
 */
export function groupedOrder(groupBy: GroupBy, alias: Sql): Sql {
  const grouped = DIMENSION_NAMES.filter((d) => groupBy[d]);
  if (grouped.length === 0) return empty;
  return sql`, ${join(
    grouped.map((d) => sql`${alias}.${dimensionColumn(d)}`),
    ', ',
  )}`;
}

/** `AND a.col = g.col` for each grouped dimension: rows `a` of the group `g`. */
export function sameGroup(groupBy: GroupBy, a: Sql, g: Sql): Sql {
  const grouped = DIMENSION_NAMES.filter((d) => groupBy[d]);
  if (grouped.length === 0) return empty;
  return join(
    grouped.map((d) => sql`AND ${a}.${dimensionColumn(d)} = ${g}.${dimensionColumn(d)}`),
    '\n      ',
  );
}
