import { randomBytes } from 'node:crypto';

/** A prefix of Redis keys that no other test run shares. */
export function uniqueRedisPrefix(name: string): string {
  return `shelfops-test:${name}:${randomBytes(6).toString('hex')}:`;
}

/** The Redis server the tests use. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
