import type { Pool } from '../db/pool.js';
import { tenantStatus } from '../tenants/tenant-store.js';
import { unauthenticated } from './tokens.js';
import type { Viewer } from './viewer.js';

/** How long a tenant's status is trusted before it is read again. */
export const TENANT_STATUS_TTL_MS = 30_000;

/** Admits a verified viewer only when its tenant exists and is active. */
export type TenantGate = (viewer: Viewer) => Promise<void>;

/**
 * A gate reading each tenant's status at most once per `ttlMs` (concurrent requests share the
 * read), so a steady stream of requests runs no extra statement; disabling a tenant takes
 * effect within `ttlMs`.
 */
export function createTenantGate(pool: Pool, ttlMs = TENANT_STATUS_TTL_MS): TenantGate {
  const cache = new Map<string, { until: number; status: Promise<string | null> }>();
  return async (viewer) => {
    const now = Date.now();
    let entry = cache.get(viewer.customerId);
    if (!entry || entry.until <= now) {
      if (cache.size > 10_000) cache.clear();
      entry = { until: now + ttlMs, status: tenantStatus(pool, viewer.customerId) };
      cache.set(viewer.customerId, entry);
      // A failed read is not cached: the next request asks again.
      entry.status.catch(() => cache.delete(viewer.customerId));
    }
    const status = await entry.status;
    if (status === null) throw unauthenticated('the token’s tenant does not exist');
    if (status !== 'active') throw unauthenticated('the token’s tenant is disabled');
  };
}
