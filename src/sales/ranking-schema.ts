import { DIMENSIONS, type DimensionName } from '../analytics/dimensions.js';
import {
  comparisonFields,
  dimensionFields,
  measureFields,
  SalesMeasureEnum,
} from '../analytics/fields.js';
import { MEASURE_NAMES, type MeasureName } from '../analytics/measures.js';
import { tellFreshness } from '../analytics/data-freshness.js';
import { builder } from '../builder.js';
import { storeFilter, storeFilterArgs } from '../catalog/ref-args.js';
import { countArgument, userError } from '../errors.js';
import { TimeRangeInput } from '../time-range.js';
import { SHARE_SCALE } from './sales-sql.js';
import { ROUTE, salesRanking, type Ranking, type RankingRow } from './sales-store.js';
import {
  categories,
  comparison,
  CompareToEnum,
  MAX_TOP,
  SalesGroupByEnum,
  tellComparison,
} from './schema.js';

const RankedSalesRef = builder.objectRef<RankingRow>('RankedSales').implement({
  description:
    'Every measure of one ranked key (a store, product or category), of everything ranked below the first keys (other), or of all keys (total).',
  fields: (t) => ({
    rank: t.int({
      nullable: true,
      description: 'Position in the ranking from 1; null on the other and total rows.',
      resolve: (r) => r.rank,
    }),
    ...dimensionFields(t, {
      store: 'when ranking stores',
      product: 'when ranking products',
      category: 'when ranking categories',
    }),
    share: t.field({
      type: 'Decimal',
      nullable: true,
      description: `This row's value of the ranking measure over the total's, rounded half-up to ${SHARE_SCALE} places (1 on the total row); null when the total is 0.`,
      resolve: (r) => r.share,
    }),
    ...measureFields(t),
    ...comparisonFields(t),
  }),
});

const SalesRankingRef = builder.objectRef<Ranking>('SalesRanking').implement({
  description:
    'A ranking with the rest: the first keys, everything below them as one row, and the total, so that the rows plus other equal the total exactly in every measure.',
  fields: (t) => ({
    rows: t.field({
      type: [RankedSalesRef],
      description: 'The first keys, highest first, ties by id (or category name).',
      resolve: (r) => r.rows,
    }),
    other: t.field({
      type: RankedSalesRef,
      nullable: true,
      description:
        'Every key ranked below the first ones, summed (zeros when none); null unless other: true.',
      resolve: (r) => r.other,
    }),
    total: t.field({
      type: RankedSalesRef,
      description: 'All keys of the filters, summed.',
      resolve: (r) => r.total,
    }),
  }),
});

const DIMENSION_OF: Record<'STORE' | 'PRODUCT' | 'CATEGORY', DimensionName> = {
  STORE: 'store',
  PRODUCT: 'product',
  CATEGORY: 'category',
};

function measureOf(value: string): MeasureName {
  const name = MEASURE_NAMES.find((m) => m === value);
  if (!name) throw userError(`unknown measure ${value}`, 'BAD_USER_INPUT', { argument: 'by' });
  return name;
}

builder.queryFields((t) => ({
  ranking: t.field({
    type: SalesRankingRef,
    description: `Stores, products or categories ranked by any measure over the half-open range [from, to), highest first, ties by id (categories by name): the first ones (at most ${MAX_TOP}), with other: true everything below them as one row, and the total, each with its share of the total. One statement.`,
    args: {
      range: t.arg({ type: TimeRangeInput, required: true, description: 'Half-open [from, to).' }),
      dimension: t.arg({
        type: SalesGroupByEnum,
        required: true,
        description: `What to rank: ${Object.keys(DIMENSIONS).join(', ')}.`,
      }),
      by: t.arg({
        type: SalesMeasureEnum,
        defaultValue: 'units',
        description: 'The measure to rank by.',
      }),
      first: t.arg.int({ defaultValue: 10, description: `How many (1 to ${MAX_TOP}).` }),
      other: t.arg.boolean({
        defaultValue: false,
        description: 'Also return everything below the first ones as one row.',
      }),
      ...storeFilterArgs(t.arg),
      categories: t.arg.stringList({ description: 'Only products of these categories.' }),
      compareTo: t.arg({
        type: CompareToEnum,
        description:
          'Add each row’s measures over the compared range (UTC; the other and total rows too) and the change.',
      }),
    },
    complexity: (args) => ({ field: 1, multiplier: (args.first ?? 10) + 2 }),
    resolve: async (_root, args, ctx) => {
      await tellFreshness(ctx);
      const first = countArgument(args.first, 'first', MAX_TOP, 10);
      const compare = await comparison(ctx, args.compareTo);
      const ranking = await salesRanking(
        ctx.db,
        {
          range: args.range,
          filters: {
            storeIds: await storeFilter(ctx, args),
            productIds: null,
            categories: categories(args.categories),
          },
          dimension: DIMENSION_OF[args.dimension],
          by: measureOf(args.by ?? 'units'),
          first,
          other: args.other ?? false,
          compare,
        },
        ROUTE,
      );
      tellComparison(ctx, compare, args.range, 'UTC', [...ranking.rows, ranking.total]);
      return ranking;
    },
  }),
}));
