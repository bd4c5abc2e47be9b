import { loadConfig, type Config } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/database.js';
import { createLogger } from '../src/logger.js';

/** The middle value of a run's timings (the upper one of an even count). */
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

/**
 * A benchmark's database: DATABASE_URL when set, else an embedded one in memory with no demo,
 * statements unbounded in time; `settings` adds to or overrides these.
 */
export async function openBenchDatabase(
  settings: Record<string, string> = {},
): Promise<{ config: Config; database: Database }> {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret-01',
    EMBEDDED_DATA_DIR: 'memory',
    SEED_DEMO: 'false',
    STATEMENT_TIMEOUT_MS: '600000',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    ...settings,
  });
  return { config, database: await openDatabase(config, createLogger('silent')) };
}
