import { LRUCache } from 'lru-cache';
import type { GuardedRedis } from '../redis/guarded-redis.js';

/**
 * Serialized, error-free GraphQL answers by cache key, kept as the UTF-8 bytes a hit sends: a
 * hit writes them to the socket as they are, instead of encoding a string of up to 100 KB
 * again for every request.
 */
export interface ResponseStore {
  get(key: string): Promise<Buffer | null>;
  set(key: string, body: string): Promise<void>;
  /** What `get` would resolve to, at once, when the answers are kept in this process. */
  getNow?: (key: string) => Buffer | null;
}

export interface ResponseStoreLimits {
  ttlSeconds: number;
  /** Memory: the most bytes of keys and bodies held; the least recently used go first. */
  maxBytes: number;
}

/** Two bytes per UTF-16 code unit: an upper bound of what V8 holds for a string. */
const stringBytes = (text: string) => text.length * 2;

/** A store in this process's memory, bounded by bytes rather than entries. */
export function memoryResponseStore(limits: ResponseStoreLimits): ResponseStore {
  const cache = new LRUCache<string, Buffer>({
    maxSize: limits.maxBytes,
    // An answer larger than an eighth of the budget would evict too much to be worth keeping.
    maxEntrySize: Math.max(1, Math.floor(limits.maxBytes / 8)),
    sizeCalculation: (body, key) => body.length + stringBytes(key),
    ttl: limits.ttlSeconds * 1000,
  });
  const getNow = (key: string) => cache.get(key) ?? null;
  return {
    getNow,
    get: async (key) => getNow(key),
    set: async (key, body) => {
      cache.set(key, Buffer.from(body, 'utf8'));
    },
  };
}

/**
 * A store in Redis, shared by every replica; entries expire after the TTL. A slow or stalled
 * Redis fails the call within its deadline: the cache misses and the database answers.
 */
export function redisResponseStore(
  redis: GuardedRedis,
  keyPrefix: string,
  limits: Pick<ResponseStoreLimits, 'ttlSeconds'>,
): ResponseStore {
  const redisKey = (key: string) => `${keyPrefix}response:${key}`;
  return {
    get: async (key) => (await redis.call((r) => r.getBuffer(redisKey(key)))) ?? null,
    set: async (key, body) => {
      await redis.call((r) => r.set(redisKey(key), body, 'EX', limits.ttlSeconds));
    },
  };
}
