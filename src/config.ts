import { bool, cleanEnv, makeValidator, num, port, str, url } from 'envalid';

/** Raised when the environment does not describe a runnable gateway; lists every problem. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const postgresInterval = makeValidator<string>((input) => {
  if (!/^\d+\s*(minutes?|hours?|days?|weeks?|months?|years?)$/i.test(input.trim())) {
    throw new Error('expected a PostgreSQL interval such as "2 years" or "90 days"');
  }
  return input.trim();
});

const timescaleMode = makeValidator<'auto' | 'on' | 'off'>((input) => {
  if (input === 'auto' || input === 'on' || input === 'off') return input;
  throw new Error('expected one of auto, on, off');
});

const specification = {
  NODE_ENV: str({ choices: ['development', 'production', 'test'], default: 'development' }),
  HOST: str({ default: '127.0.0.1', desc: 'interface the HTTP server listens on' }),
  PORT: port({ default: 4000 }),
  LOG_LEVEL: str({
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
  }),
  DATABASE_URL: url({ default: undefined, desc: 'PostgreSQL server; unset = embedded database' }),
  DB_POOL_MAX: num({ default: 10, desc: 'connections to a PostgreSQL server (embedded: 1)' }),
  STATEMENT_TIMEOUT_MS: num({ default: 10_000, desc: 'per-statement limit inside a request' }),
  TIMESCALEDB: timescaleMode({ default: 'auto', desc: 'use the TimescaleDB extension' }),
  MIGRATE_ON_START: bool({ default: true }),
  RETENTION: postgresInterval({ default: '2 years', desc: 'raw time-series retention' }),
  ROLLUP_REFRESH_SECONDS: num({ default: 60, desc: 'embedded: rollup refresh period' }),
  EMBEDDED_DATA_DIR: str({ default: '.shelfops/data', desc: 'embedded data; "memory" keeps none' }),
  EMBEDDED_RESET: bool({ default: false, desc: 'wipe the embedded data directory at start' }),
  SEED_DEMO: bool({ default: true, desc: 'embedded: load demo data into an empty database' }),
  JWT_SECRET: str({ default: undefined, desc: 'HS256 secret (at least 32 characters)' }),
  JWT_JWKS_FILE: str({ default: undefined, desc: 'path of a JWKS file (RS256/ES256)' }),
  JWT_JWKS_URL: url({ default: undefined, desc: 'URL of a JWKS endpoint (RS256/ES256)' }),
  JWT_ISSUER: str({ default: 'shelfops-dev' }),
  JWT_AUDIENCE: str({ default: 'shelfops-gateway' }),
  JWT_CLOCK_TOLERANCE_SECONDS: num({ default: 30 }),
};

export type Config = {
  nodeEnv: 'development' | 'production' | 'test';
  host: string;
  port: number;
  logLevel: string;
  databaseUrl: string | undefined;
  poolMax: number;
  statementTimeoutMs: number;
  timescaledb: 'auto' | 'on' | 'off';
  migrateOnStart: boolean;
  retention: string;
  rollupRefreshSeconds: number;
  /** null: the embedded database lives in memory only. */
  embeddedDataDir: string | null;
  embeddedReset: boolean;
  seedDemo: boolean;
  jwt: {
    secret: string | undefined;
    jwksFile: string | undefined;
    jwksUrl: string | undefined;
    issuer: string;
    audience: string;
    clockToleranceSeconds: number;
  };
};

/** Reads and validates the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = cleanEnv(env, specification, {
    reporter: ({ errors }) => {
      const problems = Object.entries(errors).map(
        ([name, error]) => `${name}: ${error instanceof Error ? error.message : String(error)}`,
      );
      if (problems.length > 0) throw new ConfigError(problems);
    },
  });
  const problems: string[] = [];
  if (e.JWT_SECRET !== undefined && e.JWT_SECRET.length < 32) {
    problems.push('JWT_SECRET: must be at least 32 characters');
  }
  if (e.NODE_ENV === 'production' && !e.JWT_SECRET && !e.JWT_JWKS_FILE && !e.JWT_JWKS_URL) {
    problems.push('JWT_SECRET, JWT_JWKS_FILE or JWT_JWKS_URL: one is required in production');
  }
  if (e.DB_POOL_MAX < 1) problems.push('DB_POOL_MAX: must be at least 1');
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    nodeEnv: e.NODE_ENV as Config['nodeEnv'],
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.DATABASE_URL,
    poolMax: e.DB_POOL_MAX,
    statementTimeoutMs: e.STATEMENT_TIMEOUT_MS,
    timescaledb: e.TIMESCALEDB,
    migrateOnStart: e.MIGRATE_ON_START,
    retention: e.RETENTION,
    rollupRefreshSeconds: e.ROLLUP_REFRESH_SECONDS,
    embeddedDataDir: e.EMBEDDED_DATA_DIR === 'memory' ? null : e.EMBEDDED_DATA_DIR,
    embeddedReset: e.EMBEDDED_RESET,
    seedDemo: e.SEED_DEMO,
    jwt: {
      secret: e.JWT_SECRET,
      jwksFile: e.JWT_JWKS_FILE,
      jwksUrl: e.JWT_JWKS_URL,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      clockToleranceSeconds: e.JWT_CLOCK_TOLERANCE_SECONDS,
    },
  };
}
