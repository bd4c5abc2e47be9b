import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { builder } from '../builder.js';
import {
  productById,
  storeById,
  type ProductRow,
  type StoreRow,
} from '../catalog/catalog-store.js';
import { ProductRef, StoreRef } from '../catalog/schema.js';
import type { GraphQLContext } from '../context.js';
import { loadedOr, preload } from '../loaders.js';
import { changeOf } from './change.js';
import {
  MEAN_SCALE,
  MEASURE_NAMES,
  RATIO_SCALE,
  MEASURES,
  type Measure,
  type MeasureName,
  type MeasureValues,
} from './measures.js';

type SchemaTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
type FieldBuilder<R> = PothosSchemaTypes.ObjectFieldBuilder<SchemaTypes, R>;

/**
 * A measure's field reads the row's own property: the statements write every measure as its
 * scalar expects it (BigInt and Decimal as exact text, Int as an integer), and a field without
 * a resolver is completed in line by the compiled execution, where a resolver costs a call, a
 * resolve info and three closures for each of a trend's up to 10 000 rows.
 */
function measureField<R extends MeasureValues>(t: FieldBuilder<R>, name: keyof MeasureValues) {
  const m: Measure = MEASURES[name];
  return m.nullable
    ? (t as unknown as FieldBuilder<Record<MeasureName, string | null>>).expose(name, {
        type: m.type,
        nullable: true,
        description: m.description,
      })
    : (t as unknown as FieldBuilder<Record<MeasureName, string>>).expose(name, {
        type: m.type,
        description: m.description,
      });
}

/** A field for every measure of the model, as each sales shape (trend, ranking, summary) has. */
export function measureFields<R extends MeasureValues>(t: FieldBuilder<R>) {
  return measureFieldsOf(t, MEASURE_NAMES);
}

/** A field for each measure of `names`, for rows that carry those. */
export function measureFieldsOf<R extends Partial<MeasureValues>>(
  t: FieldBuilder<R>,
  names: readonly MeasureName[],
) {
  return Object.fromEntries(
    names.map((name) => [name, measureField(t as unknown as FieldBuilder<MeasureValues>, name)]),
  );
}

/** A measure's name as an enum value: `returnedUnits` is RETURNED_UNITS. */
const enumName = (name: MeasureName) => name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

/** Every measure of the model as an enum value, for arguments that choose one (`by`). */
export const SalesMeasureEnum = builder.enumType('SalesMeasure', {
  description: 'A sales measure of the model.',
  values: Object.fromEntries(
    MEASURE_NAMES.map((name) => [
      enumName(name),
      { value: name, description: MEASURES[name].description },
    ]),
  ) as Record<string, { value: MeasureName; description: string }>,
});

/** Every measure of the model, as a window's totals carry them. */
export const SalesMeasuresRef = builder.objectRef<MeasureValues>('SalesMeasures').implement({
  description: 'Every sales measure over a span of buckets (a window or a running total).',
  fields: (t) => measureFields(t),
});

/** Every measure of the model divided by a window's length in buckets. */
export const SalesMeansRef = builder
  .objectRef<Record<MeasureName, string | null>>('SalesMeans')
  .implement({
    description: `Every sales measure per bucket over a window: its total divided by the window's length in buckets (empty buckets count), rounded half-up to ${MEAN_SCALE} places; a rate (marginRate) is its value over the window.`,
    fields: (t) =>
      Object.fromEntries(
        MEASURE_NAMES.map((name) => {
          const m: Measure = MEASURES[name];
          return [
            name,
            m.nullable
              ? t.field({
                  type: 'Decimal',
                  nullable: true,
                  description: `Mean per bucket of: ${m.description}`,
                  resolve: (r) => r[name],
                })
              : t.field({
                  type: 'Decimal',
                  description: `Mean per bucket of: ${m.description}`,
                  resolve: (r) => r[name] ?? '0',
                }),
          ];
        }),
      ),
  });

/** Every measure's change from a compared value: the difference, and that over the compared value. */
export const SalesChangeRef = builder
  .objectRef<MeasureValues & Record<`${MeasureName}Ratio`, string | null>>('SalesChange')
  .implement({
    description: `Every sales measure's change from the compared bucket: the difference (this minus compared) and the relative change (difference ÷ compared, rounded half-up to ${RATIO_SCALE} places; null when the compared value is 0).`,
    fields: (t) => ({
      ...measureFields(t),
      ...Object.fromEntries(
        MEASURE_NAMES.map((name) => [
          `${name}Ratio`,
          t.field({
            type: 'Decimal',
            nullable: true,
            description: `Relative change of ${name}: (this − compared) ÷ compared; null when compared is 0.`,
            resolve: (r) => r[`${name}Ratio`],
          }),
        ]),
      ),
    }),
  });

/**
 * The comparison fields of a sales row: its measures over the compared span, and the change,
 * worked out from the two only when a client asks for it.
 */
export function comparisonFields<R extends MeasureValues & { compared?: MeasureValues | null }>(
  t: FieldBuilder<R>,
) {
  return {
    compared: t.field({
      type: SalesMeasuresRef,
      nullable: true,
      description:
        'With compareTo, every measure over the compared span; null without compareTo or when that span starts before the retention horizon (extensions.comparison says so).',
      resolve: (r) => r.compared ?? null,
    }),
    change: t.field({
      type: SalesChangeRef,
      nullable: true,
      description: 'With compareTo, the change of every measure from compared; null with compared.',
      resolve: (r) => (r.compared ? changeOf(r, r.compared) : null),
    }),
  };
}

/** The store and product of a row about one store/product pair. */
export function pairFields<R extends { storeId: string; productId: string }>(t: FieldBuilder<R>) {
  return {
    store: t.field({
      type: StoreRef,
      nullable: true,
      description: 'The store.',
      resolve: (r, _args, ctx) => storeById(ctx).load(r.storeId),
    }),
    product: t.field({
      type: ProductRef,
      nullable: true,
      description: 'The product.',
      resolve: (r, _args, ctx) => productById(ctx).load(r.productId),
    }),
  };
}

/** The dimension fields of a sales row: its store, product and category, each set when split by it. */
export function dimensionFields<
  R extends { storeId: string | null; productId: string | null; category: string | null },
>(t: FieldBuilder<R>, when: Record<'store' | 'product' | 'category', string>) {
  return {
    store: t.field({
      type: StoreRef,
      nullable: true,
      description: `The store, ${when.store}.`,
      resolve: (r, _args, ctx) =>
        r.storeId ? loadedOr(ctx.loaders, storeById(ctx), r.storeId) : null,
    }),
    product: t.field({
      type: ProductRef,
      nullable: true,
      description: `The product, ${when.product}.`,
      resolve: (r, _args, ctx) =>
        r.productId ? loadedOr(ctx.loaders, productById(ctx), r.productId) : null,
    }),
    category: t.string({
      nullable: true,
      description: `The ${when.category === 'when ranking categories' ? 'category' : 'product category'}, ${when.category}.`,
      resolve: (r) => r.category,
    }),
  };
}

/** A row's store and product as values: set by `attachDimensions`, or by its parent. */
export interface DimensionValues {
  store?: StoreRow | null;
  product?: ProductRow | null;
}

/**
 * The dimension fields of a trend's rows, which carry their store and product as values
 * (`DimensionValues`): the compiled execution writes such a field in line, where a resolver
 * costs a call, a resolve info, a path, an argument object and three closures on each of up
 * to 10 000 rows. A ranking's rows (at most 101) keep `dimensionFields`.
 */
export function carriedDimensionFields<R extends DimensionValues & { category: string | null }>(
  t: FieldBuilder<R>,
  when: Record<'store' | 'product' | 'category', string>,
) {
  const fields = t as unknown as FieldBuilder<DimensionValues & { category: string | null }>;
  return {
    store: fields.expose('store', {
      type: StoreRef,
      nullable: true,
      description: `The store, ${when.store}.`,
    }),
    product: fields.expose('product', {
      type: ProductRef,
      nullable: true,
      description: `The product, ${when.product}.`,
    }),
    category: fields.exposeString('category', {
      nullable: true,
      description: `The product category, ${when.category}.`,
    }),
  };
}

/** The names of the fields `info`'s field selects directly (through fragments). */
function selectedNames(info: GraphQLResolveInfo): Set<string> {
  const names = new Set<string>();
  const walk = (set: SelectionSetNode | undefined) => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) names.add(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
      else walk(info.fragments[selection.name.value]?.selectionSet);
    }
  };
  for (const node of info.fieldNodes) walk(node.selectionSet);
  return names;
}

/**
 * The measures the rows of a list field (`info`) are asked for, in the model's order, for a
 * statement to compute and send only those: a 564-row trend asking for three of the twelve
 * spends a fifth of its CPU reading, parsing and collecting the other nine. Every measure when
 * the rows are asked for a field beyond their measures and `plain` (their baskets, windows or
 * comparisons read the other measures); at least one, as a statement lists one column or more.
 */
export function selectedMeasures(
  info: GraphQLResolveInfo,
  plain: ReadonlySet<string>,
): readonly MeasureName[] {
  const selected = selectedNames(info);
  for (const name of selected) {
    if (!plain.has(name) && !(name in MEASURES)) return MEASURE_NAMES;
  }
  const measures = MEASURE_NAMES.filter((name) => selected.has(name));
  return measures.length > 0 ? measures : MEASURE_NAMES.slice(0, 1);
}

/**
 * Sets on each row of a list field (`info`) the store and product its fields ask for, read at
 * once (one statement each, through the request's loaders) for `carriedDimensionFields`. A
 * store or product that could not be read fails the list with the loader's error.
 */
export async function attachDimensions(
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  rows: readonly ({ storeId: string | null; productId: string | null } & DimensionValues)[],
): Promise<void> {
  await preloadDimensions(ctx, info, rows);
  const selected = selectedNames(info);
  const stores = storeById(ctx);
  const products = productById(ctx);
  // A key the preload did not keep is one whose load failed: loading it again raises that
  // error. A value at hand is taken without an await (a turn per row of up to 10 000).
  for (const row of rows) {
    if (selected.has('store')) {
      const store = row.storeId === null ? null : loadedOr(ctx.loaders, stores, row.storeId);
      row.store = store instanceof Promise ? await store : store;
    }
    if (selected.has('product')) {
      const product =
        row.productId === null ? null : loadedOr(ctx.loaders, products, row.productId);
      row.product = product instanceof Promise ? await product : product;
    }
  }
}

/**
 * Reads the stores and products that the rows of a list field (`info`) ask for under
 * `dimensionFields`, each in one statement as their loaders would, before the rows resolve:
 * a row then takes its store as a value, not through a promise of its own.
 */
export async function preloadDimensions(
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  rows: readonly { storeId: string | null; productId: string | null }[],
): Promise<void> {
  const selected = selectedNames(info);
  const ids = (key: 'storeId' | 'productId') => {
    const found = new Set<string>();
    for (const row of rows) {
      const id = row[key];
      if (id) found.add(id);
    }
    return found;
  };
  await Promise.all([
    selected.has('store') ? preload(ctx.loaders, storeById(ctx), ids('storeId')) : null,
    selected.has('product') ? preload(ctx.loaders, productById(ctx), ids('productId')) : null,
  ]);
}
