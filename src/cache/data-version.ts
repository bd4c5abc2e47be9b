import type { Redis } from 'ioredis';

/**
 * A counter per tenant that every committed write moves on. It is part of each cache key, so
 * an answer cached before a write is never served after it.
 */
export interface DataVersions {
  /** The tenant's current version. */
  current(customerId: string): Promise<string>;
  /** Moves the tenant's version on; called after a write has committed. */
  bump(customerId: string): Promise<void>;
}

/** Versions in this process's memory (one replica). */
export function memoryDataVersions(): DataVersions {
  const versions = new Map<string, number>();
  return {
    current: async (customerId) => String(versions.get(customerId) ?? 0),
    bump: async (customerId) => {
      versions.set(customerId, (versions.get(customerId) ?? 0) + 1);
    },
  };
}

/** Versions in Redis, shared by every replica, so a write on one invalidates them all. */
export function redisDataVersions(redis: Redis, keyPrefix: string): DataVersions {
  const key = (customerId: string) => `${keyPrefix}data-version:${customerId}`;
  return {
    current: async (customerId) => (await redis.get(key(customerId))) ?? '0',
    bump: async (customerId) => {
      await redis.incr(key(customerId));
    },
  };
}
