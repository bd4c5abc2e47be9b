import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RequestAuthenticator } from '../auth/request-auth.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { GuardedRedis } from '../redis/guarded-redis.js';

/** Counts requests per tenant; `consume` rejects with a RateLimiterRes over the limit. */
export interface TenantRateLimiter {
  points: number;
  duration: number;
  consume(customerId: string): Promise<unknown>;
}

/**
 * The per-tenant request limiter: in Redis when there is one (all replicas count together),
 * else in this process's memory. While Redis is unreachable, slow or stalled (its call missed
 * the deadline, or the circuit is open) this process counts in memory instead. Null when the
 * limit is off.
 */
export function createTenantRateLimiter(
  limit: Config['rateLimit'],
  redis: GuardedRedis | null,
  keyPrefix: string,
): TenantRateLimiter | null {
  if (limit.requests === 0) return null;
  const options = {
    points: limit.requests,
    duration: limit.windowSeconds,
    keyPrefix: `${keyPrefix}rate`,
  };
  const memory = new RateLimiterMemory(options);
  if (!redis) return memory;
  const shared = new RateLimiterRedis({
    ...options,
    storeClient: redis.client,
    rejectIfRedisNotReady: true,
  });
  return {
    points: limit.requests,
    duration: limit.windowSeconds,
    async consume(customerId) {
      // Over the limit is an answer of Redis, not a failure of it.
      const overLimit = await redis
        .call(() =>
          shared.consume(customerId).then(
            () => null,
            (rejection: unknown) => {
              if (rejection instanceof RateLimiterRes) return rejection;
              throw rejection;
            },
          ),
        )
        .catch(() => memory.consume(customerId).then(() => null));
      if (overLimit) throw overLimit;
    },
  };
}

/**
 * Counts each GraphQL request against its tenant's budget from its headers, before its body is
 * budgeted or read; over it: 429 RATE_LIMITED.
 */
export function useTenantRateLimit(
  limiter: TenantRateLimiter,
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
