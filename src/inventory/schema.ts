import { GraphQLError } from 'graphql';
import { builder } from '../builder.js';
import { requireCatalogRefs } from '../catalog/code-refs.js';
import { ProductRef, StoreRef } from '../catalog/schema.js';
import { userError } from '../errors.js';
import { ingestTimeProblem, type IngestTimeRule } from '../ingest-time.js';
import { cursorKey, decodeCursor, encodeCursor, pageSize, toConnection } from '../pagination.js';
import { velocityLoader } from '../sales/velocity-store.js';
import {
  currentReorderPointsByProduct,
  insertSnapshots,
  inventoryByProduct,
  inventoryByStore,
  inventoryHistory,
  listLatestInventory,
  replaceReorderPoint,
  type InventoryLevelRow,
  type InventoryPositionRow,
  type InventorySnapshotInput,
  type ReorderPointRow,
} from './inventory-store.js';
import {
  productFilter,
  productFilterArgs,
  requireStoreAndProductRefs,
  storeAndProductArgs,
  storeFilter,
  storeFilterArgs,
  withFilter,
} from '../catalog/ref-args.js';
import { productOfRow, requireStoreAndProduct, storeOfRow } from '../catalog/row-refs.js';
import {
  bucketCount,
  calendarUnit,
  GranularityEnum,
  TimeRangeInput,
  validateRange,
} from '../time-range.js';

/** The most snapshots one recordInventory call takes. */
export const MAX_SNAPSHOT_BATCH = 5000;
/** The most buckets one inventoryHistory call returns. */
export const MAX_HISTORY_BUCKETS = 2000;
/** GraphQL type of a latest inventory position. */
export const InventoryPositionRef = builder.objectRef<InventoryPositionRow>('InventoryPosition');
InventoryPositionRef.implement({
  description: 'The most recent stock snapshot of a product in a store.',
  fields: (t) => ({
    store: t.field({
      type: StoreRef,
      description: 'The store.',
      resolve: (p, _a, ctx) => storeOfRow(ctx, p.storeId),
    }),
    product: t.field({
      type: ProductRef,
      description: 'The product.',
      resolve: (p, _a, ctx) => productOfRow(ctx, p.productId),
    }),
    observedAt: t.expose('observedAt', {
      type: 'DateTime',
      description: 'When the snapshot was taken.',
    }),
    onHand: t.exposeInt('onHand', { description: 'Units physically in the store.' }),
    allocated: t.exposeInt('allocated', { description: 'Units promised to orders.' }),
    available: t.exposeInt('available', { description: 'onHand minus allocated.' }),
    reorderPoint: t.exposeInt('reorderPoint', {
      nullable: true,
      description: 'Current reorder point; null when none is set.',
    }),
    reorderQuantity: t.exposeInt('reorderQuantity', {
      nullable: true,
      description:
        'Units to order when stock falls below the reorder point; null when none is set.',
    }),
    unitsPerDay: t.field({
      type: 'Decimal',
      description:
        'Average units sold per UTC calendar day over the 7 days ending today, days without sales counted as zero (6 decimal places).',
      resolve: (p, _a, ctx) =>
        velocityLoader(ctx).load({ storeId: p.storeId, productId: p.productId }),
    }),
    daysOfCover: t.float({
      nullable: true,
      description:
        'available ÷ unitsPerDay: days until stock-out at the current pace; null when nothing sold in the window.',
      resolve: async (p, _a, ctx) => {
        const perDay = Number(
          await velocityLoader(ctx).load({ storeId: p.storeId, productId: p.productId }),
        );
        return perDay > 0 ? p.available / perDay : null;
      },
    }),
  }),
});

/** Relay connection of inventory positions. */
export const InventoryPositionConnection = builder.connectionObject({
  type: InventoryPositionRef,
  name: 'InventoryPositionConnection',
});

const InventoryLevelPointRef = builder.objectRef<InventoryLevelRow>('InventoryLevelPoint');
InventoryLevelPointRef.implement({
  description: 'Inventory of a store/product within one UTC time bucket.',
  fields: (t) => ({
    bucket: t.expose('bucket', {
      type: 'DateTime',
      description: 'Start of the UTC bucket (may precede range.from when from is not aligned).',
    }),
    observedAt: t.expose('observedAt', {
      type: 'DateTime',
      description: 'Time of the last snapshot in the bucket, whose levels are reported.',
    }),
    onHand: t.exposeInt('onHand', { description: 'On hand at the last snapshot of the bucket.' }),
    allocated: t.exposeInt('allocated', {
      description: 'Allocated at the last snapshot of the bucket.',
    }),
    available: t.exposeInt('available', {
      description: 'Available at the last snapshot of the bucket.',
    }),
    minAvailable: t.exposeInt('minAvailable', {
      description: 'Lowest available stock among the bucket’s snapshots.',
    }),
    maxAvailable: t.exposeInt('maxAvailable', {
      description: 'Highest available stock among the bucket’s snapshots.',
    }),
    snapshots: t.exposeInt('snapshots', { description: 'Number of snapshots in the bucket.' }),
  }),
});

/** GraphQL type of a reorder point. */
export const ReorderPointRef = builder.objectRef<ReorderPointRow>('ReorderPoint');
ReorderPointRef.implement({
  description: 'The stock level below which a product is reordered in a store.',
  fields: (t) => ({
    id: t.expose('id', { type: 'UUID', description: 'Reorder point id.' }),
    store: t.field({
      type: StoreRef,
      description: 'The store.',
      resolve: (r, _a, ctx) => storeOfRow(ctx, r.storeId),
    }),
    product: t.field({
      type: ProductRef,
      description: 'The product.',
      resolve: (r, _a, ctx) => productOfRow(ctx, r.productId),
    }),
    reorderPoint: t.exposeInt('reorderPoint', {
      description: 'Reorder when available stock falls below this.',
    }),
    reorderQuantity: t.exposeInt('reorderQuantity', { description: 'Units to order.' }),
    validFrom: t.expose('validFrom', { type: 'DateTime', description: 'When it took effect.' }),
    validTo: t.expose('validTo', {
      type: 'DateTime',
      nullable: true,
      description: 'When it was replaced; null while it is current.',
    }),
  }),
});

const belowReorderPointDescription =
  'true: only positions whose available stock is below their current reorder point (positions without a reorder point are excluded); false: only the others (including those without one).';

const pairCursor = cursorKey('uuid', 'uuid');

builder.queryFields((t) => ({
  latestInventory: t.field({
    type: InventoryPositionConnection,
    description:
      'The most recent snapshot per store/product with its current reorder point and days of cover, ordered by store id then product id.',
    args: {
      ...storeFilterArgs(t.arg),
      ...productFilterArgs(t.arg),
      belowReorderPoint: t.arg.boolean({ description: belowReorderPointDescription }),
      first: t.arg.int({ description: 'Page size (at most 500, default 50).' }),
      after: t.arg.string({ description: 'Cursor of the last position of the previous page.' }),
    },
    complexity: (args) => ({ field: 2, multiplier: args.first ?? 50 }),
    resolve: async (_root, args, ctx) => {
      const limit = pageSize(args.first);
      const after = decodeCursor('latestInventory', args.after, pairCursor);
      const rows = await listLatestInventory(ctx.db, {
        limit,
        after,
        storeIds: await storeFilter(ctx, args),
        productIds: await productFilter(ctx, args),
        belowReorderPoint: args.belowReorderPoint ?? null,
      });
      return toConnection(
        rows,
        limit,
        (r) => encodeCursor('latestInventory', [r.storeId, r.productId]),
        after !== null,
      );
    },
  }),
  inventoryHistory: t.field({
    type: [InventoryLevelPointRef],
    description: `Inventory of one store/product per UTC bucket of the half-open range (at most ${MAX_HISTORY_BUCKETS} buckets); buckets without snapshots are absent.`,
    args: {
      ...storeAndProductArgs(t.arg),
      range: t.arg({ type: TimeRangeInput, required: true, description: 'Half-open [from, to).' }),
      granularity: t.arg({ type: GranularityEnum, required: true, description: 'Bucket width.' }),
    },
    complexity: 20,
    resolve: async (_root, args, ctx) => {
      const range = validateRange(args.range);
      const unit = calendarUnit(args.granularity, 'inventoryHistory');
      const buckets = bucketCount(range, unit);
      if (buckets > MAX_HISTORY_BUCKETS) {
        throw userError(
          `range spans ${buckets} buckets of this granularity; at most ${MAX_HISTORY_BUCKETS} are returned, narrow the range or use a wider granularity`,
          'BAD_USER_INPUT',
          { argument: 'range' },
        );
      }
      const { storeId, productId } = await requireStoreAndProductRefs(ctx, args);
      await requireStoreAndProduct(ctx, storeId, productId);
      return inventoryHistory(ctx.db, { storeId, productId, ...range, unit });
    },
  }),
}));

builder.objectFields(StoreRef, (t) => ({
  inventory: t.field({
    type: [InventoryPositionRef],
    description: 'Latest inventory positions of the store, by product id.',
    args: {
      ...productFilterArgs(t.arg),
      belowReorderPoint: t.arg.boolean({ description: belowReorderPointDescription }),
      first: t.arg.int({ description: 'At most this many positions (at most 500, default 50).' }),
    },
    complexity: (args) => ({ field: 2, multiplier: args.first ?? 50 }),
    resolve: (store, args, ctx) =>
      withFilter(productFilter(ctx, args), (productIds) =>
        inventoryByStore(ctx).load({
          storeId: store.id,
          productIds,
          belowReorderPoint: args.belowReorderPoint ?? null,
          limit: pageSize(args.first),
        }),
      ),
  }),
}));

builder.objectFields(ProductRef, (t) => ({
  inventory: t.field({
    type: [InventoryPositionRef],
    description:
      'Latest inventory position of the product in each store that has one, by store id.',
    args: storeFilterArgs(t.arg),
    complexity: { field: 2, multiplier: 20 },
    resolve: (product, args, ctx) =>
      withFilter(storeFilter(ctx, args), (storeIds) =>
        inventoryByProduct(ctx).load({ productId: product.id, storeIds }),
      ),
  }),
  reorderPoints: t.field({
    type: [ReorderPointRef],
    description: 'Current reorder point of the product in each store that has one, by store id.',
    args: storeFilterArgs(t.arg),
    complexity: { field: 1, multiplier: 20 },
    resolve: (product, args, ctx) =>
      withFilter(storeFilter(ctx, args), (storeIds) =>
        currentReorderPointsByProduct(ctx).load({ productId: product.id, storeIds }),
      ),
  }),
}));

const InventorySnapshotInputRef = builder.inputType('InventorySnapshotInput', {
  description: 'One stock count of a product in a store.',
  fields: (t) => ({
    storeId: t.field({ type: 'UUID', description: 'The store (or storeCode).' }),
    storeCode: t.string({ description: 'The store’s code (or storeId).' }),
    productId: t.field({ type: 'UUID', description: 'The product (or sku).' }),
    sku: t.string({ description: 'The product’s SKU (or productId).' }),
    time: t.field({
      type: 'DateTime',
      required: true,
      description: 'When the stock was counted; with store and product, the idempotency key.',
    }),
    onHand: t.int({ required: true, description: 'Units in the store, at least 0.' }),
    allocated: t.int({
      description: 'Units promised to orders, between 0 and onHand (default 0).',
    }),
  }),
});

const RecordInventoryPayload = builder
  .objectRef<{ accepted: number; duplicates: number }>('RecordInventoryPayload')
  .implement({
    description: 'Outcome of an inventory upload.',
    fields: (t) => ({
      accepted: t.exposeInt('accepted', { description: 'New snapshots stored.' }),
      duplicates: t.exposeInt('duplicates', {
        description:
          'Snapshots skipped because one for the same store, product and time was already stored (or came earlier in the batch).',
      }),
    }),
  });

function validateSnapshots(
  snapshots: readonly InventorySnapshotInput[],
  times: IngestTimeRule,
): void {
  if (snapshots.length === 0) throw userError('snapshots must contain at least one snapshot');
  if (snapshots.length > MAX_SNAPSHOT_BATCH) {
    throw userError(
      `snapshots may contain at most ${MAX_SNAPSHOT_BATCH} rows per call; split the batch`,
    );
  }
  const now = Date.now();
  snapshots.forEach((s, index) => {
    const timeProblem = ingestTimeProblem(s.time, times, now);
    if (timeProblem) throw userError(`snapshots[${index}].time ${timeProblem}`);
  });
}

// The checks the database enforces on inventory_levels, most basic first: a snapshot with a
// negative onHand also has allocated > onHand, and PostgreSQL reports either.
const SNAPSHOT_CHECKS: [string, string, (s: InventorySnapshotInput) => boolean][] = [
  ['inventory_on_hand_non_negative', 'onHand must not be negative', (s) => s.onHand < 0],
  [
    'inventory_allocated_non_negative',
    'allocated must not be negative',
    (s) => (s.allocated ?? 0) < 0,
  ],
  [
    'inventory_allocated_within_on_hand',
    'allocated must not exceed onHand',
    (s) => (s.allocated ?? 0) > s.onHand,
  ],
];

/** Names the first snapshot that breaks a stock rule, and the rule, in a constraint error. */
function locateViolation(error: unknown, snapshots: readonly InventorySnapshotInput[]): unknown {
  if (!(error instanceof GraphQLError) || error.extensions.code !== 'CONSTRAINT_VIOLATION') {
    return error;
  }
  for (const [index, snapshot] of snapshots.entries()) {
    const broken = SNAPSHOT_CHECKS.find(([, , breaks]) => breaks(snapshot));
    if (broken) {
      return userError(`snapshots[${index}]: ${broken[1]}`, 'CONSTRAINT_VIOLATION', {
        constraint: broken[0],
        index,
      });
    }
  }
  return error;
}

builder.mutationFields((t) => ({
  recordInventory: t.field({
    type: RecordInventoryPayload,
    description: `Stores a batch of inventory snapshots (at most ${MAX_SNAPSHOT_BATCH}), idempotent on store, product and time: a snapshot already stored for that instant is kept and the new one counted as a duplicate. Any invalid snapshot rejects the whole batch.`,
    authScopes: { writer: true },
    args: { snapshots: t.arg({ type: [InventorySnapshotInputRef], required: true }) },
    resolve: async (_root, args, ctx) => {
      const snapshots = await requireCatalogRefs(ctx.db, args.snapshots, 'snapshots');
      validateSnapshots(snapshots, ctx.ingestTimes);
      try {
        const accepted = await insertSnapshots(ctx.db, snapshots);
        return { accepted, duplicates: snapshots.length - accepted };
      } catch (error) {
        throw locateViolation(error, snapshots);
      }
    },
  }),
  setReorderPoint: t.field({
    type: ReorderPointRef,
    description:
      'Replaces the current reorder point of a store/product: the current one is closed (validTo = now) and the new one returned.',
    authScopes: { admin: true },
    args: {
      ...storeAndProductArgs(t.arg),
      reorderPoint: t.arg.int({ required: true, description: 'At least 0.' }),
      reorderQuantity: t.arg.int({ required: true, description: 'At least 1.' }),
    },
    resolve: async (_root, args, ctx) => {
      const row = await replaceReorderPoint(ctx.db, {
        ...(await requireStoreAndProductRefs(ctx, args)),
        reorderPoint: args.reorderPoint,
        reorderQuantity: args.reorderQuantity,
      });
      if (row === null) throw new Error('inserting a reorder point returned no row');
      return row;
    },
  }),
}));
