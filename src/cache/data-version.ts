import type { GuardedRedis } from '../redis/guarded-redis.js';

/**
 * A counter per tenant that every committed write moves on. It is part of each cache key, so
 * an answer cached before a write is never served after it.
 */
export interface DataVersions {
  /** The tenant's current version. */
  current(customerId: string): Promise<string>;
  /** Moves the tenant's version on; called after a write has committed. */
  bump(customerId: string): Promise<void>;
  /** The tenant's current version at once, when versions are kept in this process. */
  currentNow?: (customerId: string) => string;
}

/** Versions in this process's memory (one replica). */
export function memoryDataVersions(): DataVersions {
  const versions = new Map<string, number>();
  const currentNow = (customerId: string) => String(versions.get(customerId) ?? 0);
  return {
    currentNow,
    current: async (customerId) => currentNow(customerId),
    bump: async (customerId) => {
      versions.set(customerId, (versions.get(customerId) ?? 0) + 1);
    },
  };
}

/**
 * Versions in Redis, shared by every replica, so a write on one invalidates them all. A bump
 * that fails (Redis stalled or down) is kept and done again before this process reads any
 * version and as soon as Redis answers again, so an answer cached before the write is not
 * served once the cache is back.
 */
export function redisDataVersions(redis: GuardedRedis, keyPrefix: string): DataVersions {
  const key = (customerId: string) => `${keyPrefix}data-version:${customerId}`;
  const unbumped = new Set<string>();
  const catchUp = async () => {
    if (unbumped.size === 0) return;
    const tenants = [...unbumped];
    await redis.call((r) => {
      const bumps = r.multi();
      for (const customerId of tenants) bumps.incr(key(customerId));
      return bumps.exec();
    });
    for (const customerId of tenants) unbumped.delete(customerId);
  };
  redis.onRecovered(() => {
    catchUp().catch(() => undefined);
  });
  return {
    current: async (customerId) => {
      await catchUp();
      return (await redis.call((r) => r.get(key(customerId)))) ?? '0';
    },
    bump: async (customerId) => {
      try {
        await redis.call((r) => r.incr(key(customerId)));
      } catch (error) {
        unbumped.add(customerId);
        throw error;
      }
    },
  };
}
