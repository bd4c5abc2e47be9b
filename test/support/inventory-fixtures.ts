import type { Pool } from '../../src/db/pool.js';

export const DAY_MS = 86_400_000;
/** Rows per fixture INSERT statement. */
export const FIXTURE_CHUNK = 250;
export const HOUR_MS = 3_600_000;

/** A small deterministic PRNG (mulberry32), so generated data is the same on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer in [lo, hi]. */
export function randInt(random: () => number, lo: number, hi: number): number {
  return lo + Math.floor(random() * (hi - lo + 1));
}

/** Midnight UTC of the current day, in epoch ms. */
export function todayStartMs(now = Date.now()): number {
  return Math.floor(now / DAY_MS) * DAY_MS;
}

export interface Snapshot {
  customerId: string;
  storeId: string;
  productId: string;
  time: Date;
  onHand: number;
  allocated: number;
}

export interface Sale {
  customerId: string;
  storeId: string;
  productId: string;
  time: Date;
  quantity: number;
}

export interface ReorderPointFixture {
  customerId: string;
  storeId: string;
  productId: string;
  reorderPoint: number;
  reorderQuantity: number;
  validFrom: Date;
  validTo: Date | null;
}

/** Bulk-inserts inventory snapshots through the owner connection. */
export async function insertSnapshots(owner: Pool, rows: readonly Snapshot[]): Promise<void> {
  for (let i = 0; i < rows.length; i += FIXTURE_CHUNK) {
    const chunk = rows.slice(i, i + FIXTURE_CHUNK);
    await owner.query(
      `INSERT INTO inventory_levels (customer_id, store_id, product_id, time, on_hand, allocated)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::timestamptz[], $5::int[], $6::int[])`,
      [
        chunk.map((r) => r.customerId),
        chunk.map((r) => r.storeId),
        chunk.map((r) => r.productId),
        chunk.map((r) => r.time),
        chunk.map((r) => r.onHand),
        chunk.map((r) => r.allocated),
      ],
    );
  }
}

/** Bulk-inserts sale lines (unit price 1.00) through the owner connection. */
export async function insertSales(owner: Pool, rows: readonly Sale[]): Promise<void> {
  for (let i = 0; i < rows.length; i += FIXTURE_CHUNK) {
    const chunk = rows.slice(i, i + FIXTURE_CHUNK);
    await owner.query(
      `INSERT INTO transactions (customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue)
       SELECT c, gen_random_uuid(), t, s, p, q, 1.00, q FROM unnest($1::uuid[], $2::timestamptz[], $3::uuid[], $4::uuid[], $5::int[]) AS x(c, t, s, p, q)`,
      [
        chunk.map((r) => r.customerId),
        chunk.map((r) => r.time),
        chunk.map((r) => r.storeId),
        chunk.map((r) => r.productId),
        chunk.map((r) => r.quantity),
      ],
    );
  }
}

/** Inserts reorder points through the owner connection. */
export async function insertReorderPoints(
  owner: Pool,
  rows: readonly ReorderPointFixture[],
): Promise<void> {
  for (const r of rows) {
    await owner.query(
      `INSERT INTO reorder_points (customer_id, store_id, product_id, reorder_point, reorder_quantity, valid_from, valid_to)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        r.customerId,
        r.storeId,
        r.productId,
        r.reorderPoint,
        r.reorderQuantity,
        r.validFrom,
        r.validTo,
      ],
    );
  }
}

const pairKey = (storeId: string, productId: string) => `${storeId}|${productId}`;

export interface ExpectedPosition {
  storeId: string;
  productId: string;
  observedAt: string;
  onHand: number;
  allocated: number;
  available: number;
  reorderPoint: number | null;
  reorderQuantity: number | null;
  unitsPerDay: string;
  daysOfCover: number | null;
}

/**
 * Units per day over the 7 UTC days ending today (inclusive), rounded half-up to 6 places,
 * computed with integers only.
 */
export function expectedUnitsPerDay(
  sales: readonly Sale[],
  customerId: string,
  storeId: string,
  productId: string,
  now = Date.now(),
): string {
  const end = todayStartMs(now) + DAY_MS;
  const start = end - 7 * DAY_MS;
  let units = 0n;
  for (const s of sales) {
    const t = s.time.getTime();
    if (
      s.customerId === customerId &&
      s.storeId === storeId &&
      s.productId === productId &&
      t >= start &&
      t < end
    ) {
      units += BigInt(s.quantity);
    }
  }
  const scaled = (units * 2_000_000n + 7n) / 14n;
  return `${scaled / 1_000_000n}.${(scaled % 1_000_000n).toString().padStart(6, '0')}`;
}

/**
 * The latest snapshot of every store/product of a tenant with its current reorder point and
 * days of cover, sorted by (store id, product id), from the raw fixture rows.
 */
export function expectedPositions(
  customerId: string,
  snapshots: readonly Snapshot[],
  reorderPoints: readonly ReorderPointFixture[],
  sales: readonly Sale[],
): ExpectedPosition[] {
  const latest = new Map<string, Snapshot>();
  for (const s of snapshots) {
    if (s.customerId !== customerId) continue;
    const key = pairKey(s.storeId, s.productId);
    const seen = latest.get(key);
    if (!seen || seen.time.getTime() < s.time.getTime()) latest.set(key, s);
  }
  const current = new Map<string, ReorderPointFixture>();
  for (const r of reorderPoints) {
    if (r.customerId === customerId && r.validTo === null) {
      current.set(pairKey(r.storeId, r.productId), r);
    }
  }
  return [...latest.values()]
    .map((s) => {
      const rp = current.get(pairKey(s.storeId, s.productId)) ?? null;
      const available = s.onHand - s.allocated;
      const unitsPerDay = expectedUnitsPerDay(sales, customerId, s.storeId, s.productId);
      const perDay = Number(unitsPerDay);
      return {
        storeId: s.storeId,
        productId: s.productId,
        observedAt: s.time.toISOString(),
        onHand: s.onHand,
        allocated: s.allocated,
        available,
        reorderPoint: rp?.reorderPoint ?? null,
        reorderQuantity: rp?.reorderQuantity ?? null,
        unitsPerDay,
        daysOfCover: perDay > 0 ? available / perDay : null,
      };
    })
    .sort((a, b) =>
      a.storeId === b.storeId
        ? a.productId < b.productId
          ? -1
          : 1
        : a.storeId < b.storeId
          ? -1
          : 1,
    );
}

/** Start of the UTC bucket of `unit` holding `ms` (weeks start on Monday). */
export function bucketStart(ms: number, unit: 'HOUR' | 'DAY' | 'WEEK' | 'MONTH'): number {
  switch (unit) {
    case 'HOUR':
      return Math.floor(ms / HOUR_MS) * HOUR_MS;
    case 'DAY':
      return Math.floor(ms / DAY_MS) * DAY_MS;
    case 'WEEK': {
      const day = Math.floor(ms / DAY_MS) * DAY_MS;
      const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday = 0
      return day - weekday * DAY_MS;
    }
    case 'MONTH': {
      const d = new Date(ms);
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    }
  }
}

/** Inventory history of one pair per bucket, computed from the raw snapshots. */
export function expectedHistory(
  snapshots: readonly Snapshot[],
  key: { customerId: string; storeId: string; productId: string },
  range: { from: Date; to: Date },
  unit: 'HOUR' | 'DAY' | 'WEEK' | 'MONTH',
) {
  const byBucket = new Map<number, Snapshot[]>();
  for (const s of snapshots) {
    const t = s.time.getTime();
    if (
      s.customerId !== key.customerId ||
      s.storeId !== key.storeId ||
      s.productId !== key.productId ||
      t < range.from.getTime() ||
      t >= range.to.getTime()
    ) {
      continue;
    }
    const b = bucketStart(t, unit);
    const list = byBucket.get(b) ?? [];
    list.push(s);
    byBucket.set(b, list);
  }
  return [...byBucket.entries()]
    .sort(([a], [b]) => a - b)
    .map(([bucket, list]) => {
      const last = list.reduce((x, y) => (y.time.getTime() > x.time.getTime() ? y : x));
      const available = list.map((s) => s.onHand - s.allocated);
      return {
        bucket: new Date(bucket).toISOString(),
        observedAt: last.time.toISOString(),
        onHand: last.onHand,
        allocated: last.allocated,
        available: last.onHand - last.allocated,
        minAvailable: Math.min(...available),
        maxAvailable: Math.max(...available),
        snapshots: list.length,
      };
    });
}

/** Counts rows of a table per tenant through the owner connection. */
export async function countRows(owner: Pool, table: string, customerId: string): Promise<number> {
  const { rows } = await owner.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${table} WHERE customer_id = $1`,
    [customerId],
  );
  return rows[0]?.n ?? 0;
}
