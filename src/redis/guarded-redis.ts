import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';

/** Raised by a Redis call that missed its deadline or was not sent (the circuit is open). */
export class RedisUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedisUnavailableError';
  }
}

/** How long Redis may take, and how the circuit breaker behaves. */
export interface RedisGuardOptions {
  /** Deadline of one call; a stalled server costs a request this much at most. */
  timeoutMs: number;
  /** While the circuit is open: how often a PING checks whether Redis answers again. */
  probeMs: number;
}

/** Consecutive failed calls that open the circuit. */
const FAILURES_TO_OPEN = 3;

/**
 * Redis behind a deadline and a circuit breaker. Every use of Redis is a cache or a shared
 * counter with a fallback (the database, memory), so a slow or stalled server must cost a
 * request no more than the deadline: after FAILURES_TO_OPEN failed calls in a row the circuit
 * opens, calls fail at once (callers take their fallback), and a PING every `probeMs` closes
 * it again when Redis answers within the deadline.
 */
export interface GuardedRedis {
  readonly client: Redis;
  /** Runs one call within the deadline; rejects with RedisUnavailableError while open. */
  call<T>(work: (redis: Redis) => Promise<T>): Promise<T>;
  /** 'degraded' while the circuit is open. */
  state(): 'ok' | 'degraded';
  /** Called each time the circuit closes again. */
  onRecovered(listener: () => void): void;
  /** Stops probing (the client is closed by its owner). */
  stop(): void;
}

/** Opens a client on `url` that fails fast instead of queueing while disconnected. */
export function openRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', (error) => logger.warn({ err: error }, 'redis connection failed'));
  return redis;
}

/** Resolves once `client` is ready for commands, or after `timeoutMs` (they then fail fast). */
export async function whenConnected(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      client.off('ready', finish);
      resolve();
    };
    const timer = setTimeout(finish, timeoutMs);
    client.once('ready', finish);
  });
}

/**
 * Closes a client: QUIT (pending replies first) when Redis answers within `timeoutMs`, else
 * the connection is dropped, so a stalled Redis cannot hold a shutdown.
 */
export async function closeRedis(client: Redis, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const quit = client.quit().then(
    () => true,
    () => false,
  );
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const quitted = await Promise.race([quit, late]);
  clearTimeout(timer);
  if (!quitted) client.disconnect();
}

/** Puts `client` behind a deadline and a circuit breaker (see GuardedRedis). */
export function guardRedis(
  client: Redis,
  options: RedisGuardOptions,
  logger: Logger,
): GuardedRedis {
  let failures = 0;
  let probe: NodeJS.Timeout | null = null;
  const recovered: (() => void)[] = [];

  const withDeadline = <T>(work: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new RedisUnavailableError(`Redis did not answer within ${options.timeoutMs} ms`)),
        options.timeoutMs,
      );
    });
    // A call that outlives its deadline settles later, unobserved.
    work.catch(() => undefined);
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  };

  const open = (error: unknown) => {
    logger.warn({ err: error }, 'Redis unavailable: cache degraded to the database and memory');
    probe = setInterval(() => {
      withDeadline(client.ping()).then(
        () => {
          if (probe === null) return;
          clearInterval(probe);
          probe = null;
          failures = 0;
          logger.info('Redis answers again: cache restored');
          for (const listener of recovered) listener();
        },
        () => undefined,
      );
    }, options.probeMs);
    probe.unref();
  };

  return {
    client,
    async call(work) {
      if (probe !== null) throw new RedisUnavailableError('Redis is unavailable (circuit open)');
      try {
        const result = await withDeadline(work(client));
        failures = 0;
        return result;
      } catch (error) {
        failures += 1;
        if (failures >= FAILURES_TO_OPEN && probe === null) open(error);
        throw error;
      }
    },
    state: () => (probe === null ? 'ok' : 'degraded'),
    onRecovered(listener) {
      recovered.push(listener);
    },
    stop() {
      if (probe !== null) clearInterval(probe);
      probe = null;
    },
  };
}
