import type { BucketUnit } from '../time-range.js';
import sql, { empty, type Sql } from 'sql-template-tag';
import type { RequestDb } from '../db/request-db.js';
import { defineLoader, groupByKey } from '../loaders.js';

/** The latest snapshot of one store/product with its current reorder point. */
export interface InventoryPositionRow {
  storeId: string;
  productId: string;
  observedAt: Date;
  onHand: number;
  allocated: number;
  available: number;
  reorderPoint: number | null;
  reorderQuantity: number | null;
}

/** One bucket of a store/product's inventory history. */
export interface InventoryLevelRow {
  bucket: Date;
  observedAt: Date;
  onHand: number;
  allocated: number;
  available: number;
  minAvailable: number;
  maxAvailable: number;
  snapshots: number;
}

/** A reorder point as stored; `validTo` is null for the current one. */
export interface ReorderPointRow {
  id: string;
  storeId: string;
  productId: string;
  reorderPoint: number;
  reorderQuantity: number;
  validFrom: Date;
  validTo: Date | null;
}

export interface InventorySnapshotInput {
  storeId: string;
  productId: string;
  time: Date;
  onHand: number;
  allocated?: number | null;
}

/** The UTC bucket widths inventory history can be grouped by (date_trunc units). */
/**
 * Restricts positions by their reorder point: true keeps those whose available stock is below
 * a current reorder point, false keeps the rest (including positions without one).
 */
function reorderFilter(below: boolean | null): Sql {
  if (below === true) return sql`AND r.reorder_point IS NOT NULL AND l.available < r.reorder_point`;
  if (below === false) return sql`AND (r.reorder_point IS NULL OR l.available >= r.reorder_point)`;
  return empty;
}

const positionColumns = sql`
  l.store_id AS "storeId", l.product_id AS "productId", l.time AS "observedAt",
  l.on_hand AS "onHand", l.allocated AS "allocated", l.available AS "available",
  r.reorder_point AS "reorderPoint", r.reorder_quantity AS "reorderQuantity"`;

const currentReorderPoint = (customerId: string) => sql`
  LEFT JOIN reorder_points r
    ON r.customer_id = ${customerId}::uuid AND r.store_id = l.store_id
      AND r.product_id = l.product_id AND r.valid_to IS NULL`;

/**
 * The latest snapshot of the store/product pair (s.id, p.id) of tenant `customerId`:
 * gateway.latest_inventory keeps the ordered probe behind its tenant guard, where the primary
 * key's order survives, and the pair's ids reach its key lookups, so each pair costs one
 * backward probe whatever the history length. The LIMIT keeps this subquery apart (not
 * flattened into the caller's join), so the ids enter the view as parameters. Pairs without
 * any snapshot drop out of the CROSS JOIN. The bound tenant routes the probe to the tenant's
 * shard on Citus.
 */
const latestOfPair = (customerId: string) => sql`
  CROSS JOIN LATERAL (
    SELECT v.store_id, v.product_id, v.time, v.on_hand, v.allocated, v.available
    FROM gateway.latest_inventory v
    WHERE v.customer_id = ${customerId}::uuid AND v.store_id = s.id AND v.product_id = p.id
    LIMIT 1
  ) l`;

const idFilter = (column: Sql, ids: readonly string[] | null): Sql =>
  ids === null ? empty : sql`AND ${column} = ANY(${ids}::uuid[])`;

/** A page of latest positions: `limit` after the keyset `after`, with optional filters. */
export interface LatestInventoryPage {
  /** The request's tenant, bound beside the policies (routing on Citus). */
  customerId: string;
  limit: number;
  after: readonly [string, string] | null;
  storeIds: readonly string[] | null;
  productIds: readonly string[] | null;
  belowReorderPoint: boolean | null;
}

/**
 * One page of latest positions ordered by (store id, product id), after the keyset `after`:
 * the caller's stores × the tenant's products in key order, one primary-key probe per pair, so
 * a page costs about `limit` probes (divided by the share of pairs that have snapshots).
 */
export function latestInventorySql(page: LatestInventoryPage): Sql {
  return sql`/* latestInventory */
    SELECT ${positionColumns}
    FROM stores s
    CROSS JOIN products p
    ${latestOfPair(page.customerId)}
    ${currentReorderPoint(page.customerId)}
    WHERE s.customer_id = ${page.customerId}::uuid AND p.customer_id = ${page.customerId}::uuid
      ${idFilter(sql`s.id`, page.storeIds)}
      ${idFilter(sql`p.id`, page.productIds)}
      ${page.after ? sql`AND (s.id, p.id) > (${page.after[0]}::uuid, ${page.after[1]}::uuid)` : empty}
      ${reorderFilter(page.belowReorderPoint)}
    ORDER BY s.id, p.id
    LIMIT ${page.limit + 1}`;
}

/** Runs latestInventorySql: at most `limit + 1` positions (the extra one tells of a next page). */
export function listLatestInventory(db: RequestDb, page: Omit<LatestInventoryPage, 'customerId'>) {
  return db.query<InventoryPositionRow>(latestInventorySql({ ...page, customerId: db.customerId }));
}

/** Arguments of the Store.inventory nested field, with the store it is asked for. */
export interface StoreInventoryKey {
  storeId: string;
  productIds: readonly string[] | null;
  belowReorderPoint: boolean | null;
  limit: number;
}

/**
 * Groups keys asked with identical arguments, so one statement serves each group; `load` gets
 * the group and its shared arguments (the group's first key) and returns one value per key.
 */
async function batchBySignature<K, V>(
  keys: readonly K[],
  signature: (key: K) => string,
  load: (group: K[], shared: K) => Promise<V[]>,
): Promise<V[]> {
  const groups = new Map<string, K[]>();
  for (const key of keys) {
    const sig = signature(key);
    const group = groups.get(sig);
    if (group) group.push(key);
    else groups.set(sig, [key]);
  }
  const values = new Map<K, V>();
  for (const [shared, ...rest] of groups.values()) {
    if (shared === undefined) continue;
    const group = [shared, ...rest];
    const loaded = await load(group, shared);
    group.forEach((key, n) => {
      const value = loaded[n];
      if (value !== undefined) values.set(key, value);
    });
  }
  return keys.map((key) => {
    const value = values.get(key);
    if (value === undefined) throw new Error('a batched load returned too few values');
    return value;
  });
}

/** Latest positions of each store (ordered by product), batched per request. */
export const inventoryByStore = defineLoader<StoreInventoryKey, InventoryPositionRow[], string>(
  'inventoryByStore',
  (db, keys) =>
    batchBySignature(
      keys,
      (k) => JSON.stringify([k.productIds, k.belowReorderPoint, k.limit]),
      async (group, { productIds, belowReorderPoint, limit }) => {
        const storeIds = group.map((k) => k.storeId);
        const rows = await db.query<InventoryPositionRow>(sql`/* inventoryByStore */
          SELECT x.* FROM unnest(${storeIds}::uuid[]) AS s(id)
          CROSS JOIN LATERAL (
            SELECT ${positionColumns}
            FROM products p
            ${latestOfPair(db.customerId)}
            ${currentReorderPoint(db.customerId)}
            WHERE p.customer_id = ${db.customerId}::uuid ${idFilter(sql`p.id`, productIds)} ${reorderFilter(belowReorderPoint)}
            ORDER BY p.id
            LIMIT ${limit}
          ) x`);
        return groupByKey(storeIds, rows, (r) => r.storeId);
      },
    ),
  { cacheKeyFn: (k) => JSON.stringify([k.storeId, k.productIds, k.belowReorderPoint, k.limit]) },
);

/** Arguments of the Product.inventory / Product.reorderPoints nested fields. */
export interface ProductStoresKey {
  productId: string;
  storeIds: readonly string[] | null;
}

const productStoresCacheKey = (k: ProductStoresKey) => JSON.stringify([k.productId, k.storeIds]);

/**
 * Latest position of each product in every store (of the caller's scope, or of `storeIds`),
 * ordered by store: one index probe per store/product pair.
 */
export const inventoryByProduct = defineLoader<ProductStoresKey, InventoryPositionRow[], string>(
  'inventoryByProduct',
  (db, keys) =>
    batchBySignature(
      keys,
      (k) => JSON.stringify(k.storeIds),
      async (group, { storeIds }) => {
        const productIds = group.map((k) => k.productId);
        const rows = await db.query<InventoryPositionRow>(sql`/* inventoryByProduct */
          SELECT ${positionColumns}
          FROM stores s
          CROSS JOIN unnest(${productIds}::uuid[]) AS p(id)
          ${latestOfPair(db.customerId)}
          ${currentReorderPoint(db.customerId)}
          WHERE s.customer_id = ${db.customerId}::uuid ${idFilter(sql`s.id`, storeIds)}
          ORDER BY l.product_id, l.store_id`);
        return groupByKey(productIds, rows, (r) => r.productId);
      },
    ),
  { cacheKeyFn: productStoresCacheKey },
);

const reorderPointColumns = sql`
  r.id AS "id", r.store_id AS "storeId", r.product_id AS "productId",
  r.reorder_point AS "reorderPoint", r.reorder_quantity AS "reorderQuantity",
  r.valid_from AS "validFrom", r.valid_to AS "validTo"`;

/** Current reorder point of each product per store (ordered by store), batched per request. */
export const currentReorderPointsByProduct = defineLoader<
  ProductStoresKey,
  ReorderPointRow[],
  string
>(
  'currentReorderPointsByProduct',
  (db, keys) =>
    batchBySignature(
      keys,
      (k) => JSON.stringify(k.storeIds),
      async (group, { storeIds }) => {
        const productIds = group.map((k) => k.productId);
        const rows = await db.query<ReorderPointRow>(sql`/* currentReorderPointsByProduct */
          SELECT ${reorderPointColumns}
          FROM reorder_points r
          WHERE r.customer_id = ${db.customerId}::uuid AND r.valid_to IS NULL
            AND r.product_id = ANY(${productIds}::uuid[])
            ${idFilter(sql`r.store_id`, storeIds)}
          ORDER BY r.product_id, r.store_id`);
        return groupByKey(productIds, rows, (r) => r.productId);
      },
    ),
  { cacheKeyFn: productStoresCacheKey },
);

/**
 * Inventory of one store/product per UTC bucket of `[from, to)`: the last snapshot of the
 * bucket and the lowest and highest available stock seen in it. Buckets without snapshots are
 * absent.
 */
export function inventoryHistory(
  db: RequestDb,
  args: { storeId: string; productId: string; from: Date; to: Date; unit: BucketUnit },
) {
  return db.query<InventoryLevelRow>(sql`/* inventoryHistory */
    SELECT b.bucket AS "bucket",
           max(l.time) AS "observedAt",
           (array_agg(l.on_hand ORDER BY l.time DESC))[1] AS "onHand",
           (array_agg(l.allocated ORDER BY l.time DESC))[1] AS "allocated",
           (array_agg(l.available ORDER BY l.time DESC))[1] AS "available",
           min(l.available) AS "minAvailable",
           max(l.available) AS "maxAvailable",
           count(*)::integer AS "snapshots"
    FROM inventory_snapshots l
    CROSS JOIN LATERAL (
      SELECT date_trunc(${args.unit}::text, l.time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket
    ) b
    WHERE l.customer_id = ${db.customerId}::uuid AND l.store_id = ${args.storeId}::uuid
      AND l.product_id = ${args.productId}::uuid
      AND l.time >= ${args.from}::timestamptz AND l.time < ${args.to}::timestamptz
    GROUP BY b.bucket
    ORDER BY b.bucket`);
}

/**
 * Inserts a batch of snapshots in one statement. A snapshot whose (store, product, time) is
 * already stored, hot or archived, is skipped (the first observation of an instant wins), so a
 * retried upload is harmless. Returns how many rows were new.
 */
export async function insertSnapshots(
  db: RequestDb,
  snapshots: readonly InventorySnapshotInput[],
): Promise<number> {
  const rows = await db.query<{ inserted: number }>(sql`/* insertInventorySnapshots */
    WITH input AS (
      SELECT * FROM unnest(${snapshots.map((s) => s.storeId)}::uuid[],
                           ${snapshots.map((s) => s.productId)}::uuid[],
                           ${snapshots.map((s) => s.time)}::timestamptz[],
                           ${snapshots.map((s) => s.onHand)}::integer[],
                           ${snapshots.map((s) => s.allocated ?? 0)}::integer[])
           WITH ORDINALITY AS s(store_id, product_id, time, on_hand, allocated, n)
    ), archived AS (
      SELECT * FROM app.archived_snapshots((SELECT array_agg(store_id) FROM input),
                                           (SELECT array_agg(product_id) FROM input),
                                           (SELECT array_agg(time) FROM input))
    ), inserted AS (
      INSERT INTO gateway.inventory_levels (customer_id, store_id, product_id, time, on_hand, allocated)
      SELECT ${db.customerId}::uuid, s.store_id, s.product_id, s.time, s.on_hand, s.allocated
      FROM input s
      WHERE NOT EXISTS (
        SELECT FROM archived a
        WHERE a.store_id = s.store_id AND a.product_id = s.product_id AND a.time = s.time)
      ORDER BY s.n
      ON CONFLICT DO NOTHING
      RETURNING 1
    )
    SELECT count(*)::integer AS "inserted" FROM inserted`);
  return rows[0]?.inserted ?? 0;
}

/**
 * Closes the current reorder point of a store/product (valid_to = now()) and opens a new one,
 * within the request's transaction. A concurrent change of the same pair makes the insert
 * violate reorder_points_one_current_idx, which reaches the caller as a CONFLICT.
 */
export async function replaceReorderPoint(
  db: RequestDb,
  args: { storeId: string; productId: string; reorderPoint: number; reorderQuantity: number },
): Promise<ReorderPointRow | null> {
  await db.query(sql`/* closeReorderPoint */
    UPDATE reorder_points SET valid_to = now()
    WHERE customer_id = ${db.customerId}::uuid AND store_id = ${args.storeId}::uuid AND product_id = ${args.productId}::uuid
      AND valid_to IS NULL`);
  const rows = await db.query<ReorderPointRow>(sql`/* openReorderPoint */
    INSERT INTO reorder_points AS r
      (customer_id, store_id, product_id, reorder_point, reorder_quantity, valid_from)
    VALUES (${db.customerId}::uuid, ${args.storeId}::uuid, ${args.productId}::uuid,
            ${args.reorderPoint}::integer, ${args.reorderQuantity}::integer, now())
    RETURNING ${reorderPointColumns}`);
  return rows[0] ?? null;
}
