import type { Pool } from '../../src/db/pool.js';
import type { TenantFixture } from './fixtures.js';
import { DAY_MS, FIXTURE_CHUNK, randInt, rng } from './inventory-fixtures.js';

export const TYPES = [
  'STOCKOUT',
  'LOW_STOCK',
  'OVERSTOCK',
  'SALES_SPIKE',
  'SALES_DROP',
  'FORECAST_DEVIATION',
] as const;
export const SEVERITIES = ['INFO', 'WARNING', 'CRITICAL'] as const;
export const STATUSES = ['OPEN', 'ACKNOWLEDGED', 'RESOLVED'] as const;

export interface AlertFixture {
  customerId: string;
  id: string;
  storeId: string;
  productId: string;
  type: (typeof TYPES)[number];
  severity: (typeof SEVERITIES)[number];
  status: (typeof STATUSES)[number];
  /** created_at with microseconds, 'YYYY-MM-DDTHH:MM:SS.ffffffZ'. */
  createdAt: string;
}

/** An ISO instant with 6 fractional digits: `ms` plus `micros` (0-999) microseconds. */
export function microInstant(ms: number, micros: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}${String(micros).padStart(3, '0')}Z`;
}

/**
 * Alerts of a tenant: per store/product/type some resolved ones and at most one unresolved (the
 * partial unique index allows no more), with creation times to the microsecond and some ties.
 */
export function generateAlerts(tenant: TenantFixture, seed: number, idGroup: number) {
  const random = rng(seed);
  const alerts: AlertFixture[] = [];
  const now = Date.now();
  let n = 0;
  let lastCreated = microInstant(now - DAY_MS, 1);
  for (const store of tenant.stores) {
    for (const product of tenant.products) {
      for (const type of TYPES) {
        const count = randInt(random, 0, 2);
        for (let i = 0; i < count; i += 1) {
          n += 1;
          const unresolved = i === count - 1 && random() < 0.6;
          // Every fifth alert shares its creation time with the previous one.
          const createdAt =
            n % 5 === 0
              ? lastCreated
              : microInstant(
                  now - randInt(random, 60, 10 * 24 * 60) * 60_000,
                  randInt(random, 0, 999),
                );
          lastCreated = createdAt;
          alerts.push({
            customerId: tenant.customerId,
            id: `${idGroup.toString(16).padStart(8, '0')}-0000-4000-8000-${randInt(
              random,
              0,
              0xffffff,
            )
              .toString(16)
              .padStart(6, '0')}${n.toString(16).padStart(6, '0')}`,
            storeId: store.id,
            productId: product.id,
            type,
            severity: SEVERITIES[randInt(random, 0, 2)] ?? 'INFO',
            status: unresolved ? (random() < 0.5 ? 'OPEN' : 'ACKNOWLEDGED') : 'RESOLVED',
            createdAt,
          });
        }
      }
    }
  }
  return alerts;
}

/** Inserts alerts through the owner connection. */
export async function insertAlerts(owner: Pool, all: readonly AlertFixture[]): Promise<void> {
  for (let i = 0; i < all.length; i += FIXTURE_CHUNK) {
    await insertAlertChunk(owner, all.slice(i, i + FIXTURE_CHUNK));
  }
}

async function insertAlertChunk(owner: Pool, alerts: readonly AlertFixture[]): Promise<void> {
  await owner.query(
    `INSERT INTO alerts (customer_id, id, store_id, product_id, type, severity, status, message,
                         created_at, updated_at, acknowledged_at, resolved_at)
     SELECT c, i, s, p, t, sv, st, 'fixture ' || t, ca::timestamptz, ca::timestamptz,
            CASE WHEN st <> 'OPEN' THEN ca::timestamptz END,
            CASE WHEN st = 'RESOLVED' THEN ca::timestamptz END
     FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[])
          AS x(c, i, s, p, t, sv, st, ca)`,
    [
      alerts.map((a) => a.customerId),
      alerts.map((a) => a.id),
      alerts.map((a) => a.storeId),
      alerts.map((a) => a.productId),
      alerts.map((a) => a.type),
      alerts.map((a) => a.severity),
      alerts.map((a) => a.status),
      alerts.map((a) => a.createdAt),
    ],
  );
}

/** Alerts sorted newest first: created_at descending, then id descending. */
export function newestFirst<T extends { createdAt: string; id: string }>(
  alerts: readonly T[],
): T[] {
  return [...alerts].sort((x, y) =>
    x.createdAt === y.createdAt ? (x.id < y.id ? 1 : -1) : x.createdAt < y.createdAt ? 1 : -1,
  );
}
