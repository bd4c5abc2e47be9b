import type { GraphQLError } from 'graphql';
import type { Pool } from '../db/pool.js';
import { tenantStatus } from '../tenants/tenant-store.js';
import { unauthenticated } from './tokens.js';
import { OPERATOR, type Viewer } from './viewer.js';

/** How long a tenant's status is trusted before it is read again (TENANT_STATUS_INTERVAL_MS). */
export const TENANT_STATUS_TTL_MS = 30_000;

/** Admits a verified viewer only when its tenant exists and is active. */
export interface TenantGate {
  (viewer: Viewer): Promise<void>;
  /**
   * True when the viewer would be admitted without a read or a wait (its tenant's status was
   * read active within the interval); false when that is not known at once.
   */
  admitsNow?: (viewer: Viewer) => boolean;
}

/**
 * Why a viewer may no longer be served (its tenant is gone or disabled), read from the
 * database now; null while it may.
 */
export async function tenantRefusal(
  pool: Pool,
  viewer: Viewer,
  deadlineMs?: number,
): Promise<GraphQLError | null> {
  if (viewer.role === OPERATOR) return null;
  return refusalOf(await tenantStatus(pool, viewer.customerId, deadlineMs));
}

function refusalOf(status: string | null): GraphQLError | null {
  if (status === null) return unauthenticated('the token’s tenant does not exist');
  if (status !== 'active') return unauthenticated('the token’s tenant is disabled');
  return null;
}

/**
 * A gate reading each tenant's status at most once per `ttlMs` (concurrent requests share the
 * read), so a steady stream of requests runs no extra statement; disabling a tenant takes
 * effect within `ttlMs`. With `deadlineMs`, a server that does not answer fails the read.
 */
export function createTenantGate(
  pool: Pool,
  ttlMs = TENANT_STATUS_TTL_MS,
  deadlineMs?: number,
): TenantGate {
  const cache = new Map<
    string,
    { until: number; status: Promise<string | null>; active: boolean }
  >();
  const admit = async (viewer: Viewer) => {
    if (viewer.role === OPERATOR) return;
    const now = Date.now();
    let entry = cache.get(viewer.customerId);
    if (!entry || entry.until <= now) {
      if (cache.size > 10_000) cache.clear();
      const read = {
        until: now + ttlMs,
        status: tenantStatus(pool, viewer.customerId, deadlineMs),
        active: false,
      };
      cache.set(viewer.customerId, read);
      read.status.then(
        (status) => {
          read.active = status === 'active';
        },
        // A failed read is not cached: the next request asks again.
        () => cache.delete(viewer.customerId),
      );
      entry = read;
    }
    const refusal = refusalOf(await entry.status);
    if (refusal) throw refusal;
  };
  return Object.assign(admit, {
    admitsNow: (viewer: Viewer) => {
      if (viewer.role === OPERATOR) return true;
      const entry = cache.get(viewer.customerId);
      return entry !== undefined && entry.active && entry.until > Date.now();
    },
  });
}
