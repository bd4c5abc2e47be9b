import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('defaults to the embedded database on 127.0.0.1:4000', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect([config.host, config.port]).toEqual(['127.0.0.1', 4000]);
    expect(config.embeddedDataDir).toBe('.shelfops/data');
    expect(config.retention).toBe('2 years');
  });

  it('reports every bad variable at once, naming what is expected', () => {
    const problems = problemsOf({ PORT: 'abc', DATABASE_URL: 'nope', RETENTION: 'forever' });
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/^PORT: /m);
    expect(problems.join('\n')).toMatch(/^DATABASE_URL: /m);
    expect(problems.join('\n')).toMatch(/^RETENTION: expected a PostgreSQL interval/m);
  });

  it('archives after 30 days by default, accepts "off", and refuses less than a week', () => {
    expect(loadConfig({}).compressAfter).toBe('30 days');
    expect(loadConfig({ COMPRESS_AFTER: 'off' }).compressAfter).toBeNull();
    expect(loadConfig({ COMPRESS_AFTER: '2 weeks' }).compressAfter).toBe('2 weeks');
    for (const bad of ['3 days', '12 hours', 'soon']) {
      expect(problemsOf({ COMPRESS_AFTER: bad }).join('\n')).toMatch(
        /^COMPRESS_AFTER: expected "off" or an interval of at least 7 days/m,
      );
    }
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ REDIS_URL: '', DATABASE_URL: '' }).databaseUrl).toBeUndefined();
  });

  it('requires a signing key in production and a long enough secret', () => {
    expect(problemsOf({ NODE_ENV: 'production' }).join('\n')).toMatch(
      /one is required in production/,
    );
    expect(problemsOf({ JWT_SECRET: 'short' }).join('\n')).toMatch(
      /JWT_SECRET: must be at least 32/,
    );
  });
});
