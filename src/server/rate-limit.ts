import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { RequestAuthenticator } from '../auth/request-auth.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

/**
 * The per-tenant request limiter: in Redis when there is one (all replicas count together,
 * with an in-memory fallback while Redis is unreachable), else in this process's memory.
 * Null when the limit is off.
 */
export function createTenantRateLimiter(
  limit: Config['rateLimit'],
  redis: Redis | null,
  keyPrefix: string,
): RateLimiterAbstract | null {
  if (limit.requests === 0) return null;
  const options = {
    points: limit.requests,
    duration: limit.windowSeconds,
    keyPrefix: `${keyPrefix}rate`,
  };
  if (!redis) return new RateLimiterMemory(options);
  return new RateLimiterRedis({
    ...options,
    storeClient: redis,
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory(options),
  });
}

/**
 * Counts each GraphQL request against its tenant's budget from its headers, before its body is
 * budgeted or read; over it: 429 RATE_LIMITED.
 */
export function useTenantRateLimit(
  limiter: RateLimiterAbstract,
  authenticate: RequestAuthenticator,
  logger: Logger,
): Plugin {
  return {
    async onRequestParse({ request }) {
      const viewer = await authenticate.viewer(request);
      try {
        await limiter.consume(viewer.customerId);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) {
          logger.warn({ err: rejection }, 'rate limiter unavailable; request let through');
          return;
        }
        const retryAfter = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw new GraphQLError(
          `your tenant sent more than ${limiter.points} requests in ${limiter.duration} s; retry in ${retryAfter} s`,
          {
            extensions: {
              code: 'RATE_LIMITED',
              retryAfterSeconds: retryAfter,
              http: { status: 429, headers: { 'Retry-After': String(retryAfter) } },
            },
          },
        );
      }
    },
  };
}
