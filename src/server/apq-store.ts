import { LRUCache } from 'lru-cache';
import type { GuardedRedis } from '../redis/guarded-redis.js';

/** Where automatic persisted queries live between requests: hash → document. */
export interface PersistedQueryStore {
  get(hash: string): Promise<string | null>;
  set(hash: string, document: string): Promise<void>;
}

export interface StoreLimits {
  maxEntries: number;
  ttlSeconds: number;
}

/** A bounded in-memory store: least recently used entries go first, each expires after the TTL. */
export function memoryPersistedQueryStore(limits: StoreLimits): PersistedQueryStore {
  const cache = new LRUCache<string, string>({
    max: limits.maxEntries,
    ttl: limits.ttlSeconds * 1000,
  });
  return {
    get: async (hash) => cache.get(hash) ?? null,
    set: async (hash, document) => {
      cache.set(hash, document);
    },
  };
}

/**
 * A store in Redis, shared by every replica. Entries expire after the TTL and are refreshed
 * when read, so the dashboards' queries stay while the rest ages out. A slow or stalled Redis
 * fails the call within its deadline (the client then sends the full query).
 */
export function redisPersistedQueryStore(
  redis: GuardedRedis,
  keyPrefix: string,
  limits: Pick<StoreLimits, 'ttlSeconds'>,
): PersistedQueryStore {
  const key = (hash: string) => `${keyPrefix}apq:${hash}`;
  return {
    async get(hash) {
      const document = await redis.call((r) => r.getex(key(hash), 'EX', limits.ttlSeconds));
      return document ?? null;
    },
    async set(hash, document) {
      await redis.call((r) => r.set(key(hash), document, 'EX', limits.ttlSeconds));
    },
  };
}
