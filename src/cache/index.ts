import type { Plugin } from 'graphql-yoga';
import type { Registry } from 'prom-client';
import type { RequestAuthenticator } from '../auth/request-auth.js';
import type { Config } from '../config.js';
import type { GraphQLContext } from '../context.js';
import type { Logger } from '../logger.js';
import type { GuardedRedis } from '../redis/guarded-redis.js';
import { memoryDataVersions, redisDataVersions } from './data-version.js';
import { registerResponseCacheMetrics } from './metrics.js';
import { storedAnswersOf, useResponseCache, type StoredAnswers } from './response-cache.js';
import { memoryResponseStore, redisResponseStore } from './response-store.js';

/** The response cache's plugin, and its lookups for the path that serves hits before Yoga. */
export interface ResponseCache {
  plugins: Plugin<GraphQLContext>[];
  lookup: StoredAnswers;
}

/**
 * The response cache as configured: none when its TTL is 0; in Redis (answers and data
 * versions shared by replicas) when there is one; else in memory, bounded by bytes.
 */
export function createResponseCache(
  config: Config,
  redis: GuardedRedis | null,
  logger: Logger,
  registry: Registry,
  authenticate: RequestAuthenticator,
): ResponseCache | null {
  const { ttlSeconds, maxBytes } = config.responseCache;
  if (ttlSeconds === 0) return null;
  registerResponseCacheMetrics(registry);
  const prefix = config.redis.keyPrefix;
  const store = redis
    ? redisResponseStore(redis, prefix, { ttlSeconds })
    : memoryResponseStore({ ttlSeconds, maxBytes });
  const versions = redis ? redisDataVersions(redis, prefix) : memoryDataVersions();
  return {
    plugins: [useResponseCache({ store, versions, authenticate, logger })],
    lookup: storedAnswersOf({ store, versions }),
  };
}
