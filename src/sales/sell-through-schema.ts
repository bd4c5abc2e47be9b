import { builder } from '../builder.js';
import { tellFreshness } from '../analytics/data-freshness.js';
import { pairFields } from '../analytics/fields.js';
import {
  productFilter,
  productFilterArgs,
  storeFilter,
  storeFilterArgs,
} from '../catalog/ref-args.js';
import { TimeRangeInput, validateRange } from '../time-range.js';
import { ROUTE } from './sales-store.js';
import {
  MAX_SELL_THROUGH_PAIRS,
  sellThrough,
  sellThroughReasons,
  type SellThroughRow,
} from './sell-through.js';

const SellThroughReasonEnum = builder.enumType('SellThroughReason', {
  description: 'Why a figure of a sell-through row is null (never a made-up number).',
  values: {
    NO_SNAPSHOT_AT_START: {
      description: 'No stock snapshot at or before range.from: startingStock is null.',
    },
    NO_SNAPSHOT_AT_END: {
      description:
        'No stock snapshot at or before range.to: endingStock, sellThroughRate and weeksOfSupply are null.',
    },
    NO_UNITS_SOLD: {
      description: 'Net units sold are 0 or fewer: weeksOfSupply is null.',
    },
    NOTHING_SOLD_OR_IN_STOCK: {
      description: 'Units sold plus ending stock are 0 or fewer: sellThroughRate is null.',
    },
  } as const,
});

const SellThroughRef = builder.objectRef<SellThroughRow>('SellThrough').implement({
  description: 'How one product sold through in one store over a range.',
  fields: (t) => ({
    ...pairFields(t),
    unitsSold: t.field({
      type: 'BigInt',
      description: 'Units sold over the range, net of returns (the model’s units).',
      resolve: (r) => r.unitsSold,
    }),
    startingStock: t.int({
      nullable: true,
      description: 'On-hand units of the latest snapshot at or before range.from.',
      resolve: (r) => r.startingStock,
    }),
    startingAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When that snapshot was taken.',
      resolve: (r) => r.startingAt,
    }),
    endingStock: t.int({
      nullable: true,
      description: 'On-hand units of the latest snapshot at or before range.to.',
      resolve: (r) => r.endingStock,
    }),
    endingAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When that snapshot was taken.',
      resolve: (r) => r.endingAt,
    }),
    sellThroughRate: t.field({
      type: 'Decimal',
      nullable: true,
      description:
        'unitsSold ÷ (unitsSold + endingStock), rounded half-up to 6 places; null with a reason.',
      resolve: (r) => r.sellThroughRate,
    }),
    weeksOfSupply: t.field({
      type: 'Decimal',
      nullable: true,
      description:
        'endingStock ÷ average weekly units (unitsSold ÷ the range’s length in weeks of 7 × 24 hours), rounded half-up to 6 places; null with a reason.',
      resolve: (r) => r.weeksOfSupply,
    }),
    reasons: t.field({
      type: [SellThroughReasonEnum],
      description: 'Why the null figures of this row are null; empty when none is.',
      resolve: (r) => sellThroughReasons(r),
    }),
  }),
});

builder.queryField('sellThrough', (t) =>
  t.field({
    type: [SellThroughRef],
    description: `Sell-through and cover of each store/product pair over the half-open range (the caller’s stores × the tenant’s products, or those the filters name; at most ${MAX_SELL_THROUGH_PAIRS} pairs, ordered by store id then product id). One statement: units from the sales rollups where exact, stock from the latest snapshot at or before each edge.`,
    args: {
      range: t.arg({ type: TimeRangeInput, required: true, description: 'Half-open [from, to).' }),
      ...storeFilterArgs(t.arg),
      ...productFilterArgs(t.arg),
    },
    complexity: () => ({ field: 20, multiplier: 1 }),
    resolve: async (_root, args, ctx) => {
      validateRange(args.range);
      await tellFreshness(ctx);
      return sellThrough(
        ctx.db,
        {
          range: args.range,
          storeIds: await storeFilter(ctx, args),
          productIds: await productFilter(ctx, args),
        },
        ROUTE,
      );
    },
  }),
);
