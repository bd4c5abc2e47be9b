import { MEASURE_NAMES, MEASURES, type MeasureName } from '../analytics/measures.js';
import { tellFreshness } from '../analytics/data-freshness.js';
import { builder } from '../builder.js';
import { productById, storeById } from '../catalog/catalog-store.js';
import {
  productFilter,
  productFilterArgs,
  storeFilter,
  storeFilterArgs,
} from '../catalog/ref-args.js';
import { ProductRef, StoreRef } from '../catalog/schema.js';
import { TimeRangeInput } from '../time-range.js';
import {
  CLASS_MEASURES,
  MAX_CLASS_ROWS,
  productClasses,
  type ProductClassRow,
} from './product-classes.js';
import { ROUTE } from './sales-store.js';
import { categories } from './schema.js';

/** The `by` values: every measure of the model that products can be classed by. */
const ProductClassByEnum = builder.enumType('ProductClassBy', {
  description: 'The measure products are classed by.',
  values: Object.fromEntries(
    MEASURE_NAMES.flatMap((name) => {
      const label = CLASS_MEASURES[name];
      return label ? [[label, { value: name, description: MEASURES[name].description }]] : [];
    }),
  ) as Record<string, { value: MeasureName; description: string }>,
});

const ProductClassEnum = builder.enumType('ProductClass', {
  description: 'A product’s class by its cumulative share.',
  values: {
    A: { description: 'Among the products that make the first thresholds[0] of the total.' },
    B: { description: 'Among those that make the total up to thresholds[1].' },
    C: { description: 'The rest.' },
  } as const,
});

const ProductClassRef = builder.objectRef<ProductClassRow>('ProductClassRow').implement({
  description: 'One product’s class, share and rank (in one store with perStore).',
  fields: (t) => ({
    store: t.field({
      type: StoreRef,
      nullable: true,
      description: 'The store, with perStore: true.',
      resolve: (r, _args, ctx) => (r.storeId ? storeById(ctx).load(r.storeId) : null),
    }),
    product: t.field({
      type: ProductRef,
      nullable: true,
      description: 'The product.',
      resolve: (r, _args, ctx) => productById(ctx).load(r.productId),
    }),
    value: t.field({
      type: 'Decimal',
      nullable: true,
      description:
        'The product’s value of the `by` measure over the range (0 with no sales); null when not known (MARGIN where a line kept no cost): such a product ranks last, with no share or class, and counts for no total.',
      resolve: (r) => r.value,
    }),
    rank: t.exposeInt('rank', {
      description: 'Position from 1, highest value first, ties by SKU.',
    }),
    share: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'value ÷ total, rounded half-up to 6 places; null when the total is 0 or less.',
      resolve: (r) => r.share,
    }),
    cumulativeShare: t.field({
      type: 'Decimal',
      nullable: true,
      description:
        'The shares of this product and every one ranked before it, rounded half-up to 6 places.',
      resolve: (r) => r.cumulativeShare,
    }),
    class: t.field({
      type: ProductClassEnum,
      nullable: true,
      description:
        'A when the share cumulated before this product is below thresholds[0], B when below thresholds[1], else C (exact, not on rounded shares); null when the total is 0 or less.',
      resolve: (r) => r.class,
    }),
  }),
});

builder.queryField('productClasses', (t) =>
  t.field({
    type: [ProductClassRef],
    description: `ABC classes of the products over the half-open range: every product of the filters ranked by the \`by\` measure, overall or per store (perStore), with its share, cumulative share, rank and class; at most ${MAX_CLASS_ROWS} rows, ordered by store then rank. One statement on the sales model's routes.`,
    args: {
      range: t.arg({ type: TimeRangeInput, required: true, description: 'Half-open [from, to).' }),
      by: t.arg({ type: ProductClassByEnum, required: true, description: 'The measure.' }),
      thresholds: t.arg.floatList({
        defaultValue: [0.8, 0.95],
        description: 'Cumulative shares closing classes A and B: 0 < A < B <= 1.',
      }),
      perStore: t.arg.boolean({
        defaultValue: false,
        description: 'Class the products of each store on their own.',
      }),
      ...storeFilterArgs(t.arg),
      ...productFilterArgs(t.arg),
      categories: t.arg.stringList({ description: 'Only products of these categories.' }),
    },
    complexity: () => ({ field: 20, multiplier: 1 }),
    resolve: async (_root, args, ctx) => {
      await tellFreshness(ctx);
      return productClasses(
        ctx.db,
        {
          range: args.range,
          by: args.by,
          thresholds: args.thresholds ?? [0.8, 0.95],
          perStore: args.perStore ?? false,
          filters: {
            storeIds: await storeFilter(ctx, args),
            productIds: await productFilter(ctx, args),
            categories: categories(args.categories),
          },
        },
        ROUTE,
      );
    },
  }),
);
