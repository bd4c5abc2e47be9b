import { bool, cleanEnv, makeValidator, num, port, str, url } from 'envalid';
import type { Role } from './auth/viewer.js';
import { normalRetention } from './sales/retention.js';

/** Raised when the environment does not describe a runnable gateway; lists every problem. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

// Kept in the database's spelling: tenants without a horizon of their own adopt it.
const postgresInterval = makeValidator<string>((input) => {
  const retention = normalRetention(input);
  if (retention === null) {
    throw new Error('expected a PostgreSQL interval such as "2 years" or "90 days"');
  }
  return retention;
});

const DAYS_PER_UNIT: Record<string, number> = { day: 1, week: 7, month: 28, year: 365 };

// Rows are archived whole weeks at a time and only after the rollups' refresh window (4 days).
const compressAfter = makeValidator<string>((input) => {
  if (input.trim() === 'off') return 'off';
  const [, count = '0', unit = ''] = /^(\d+)\s*(day|week|month|year)s?$/i.exec(input.trim()) ?? [];
  const days = Number(count) * (DAYS_PER_UNIT[unit.toLowerCase()] ?? 0);
  if (days < 7) throw new Error('expected "off" or an interval of at least 7 days, e.g. "30 days"');
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
  DB_POOL_WAIT_MS: num({ default: 5000, desc: 'longest wait for a pooled connection' }),
  READY_TIMEOUT_MS: num({ default: 2000, desc: '/ready: longest database check' }),
  TENANT_STATUS_INTERVAL_MS: num({
    default: 30_000,
    desc: "how long a tenant's status is trusted: a disabled tenant's requests, and open streams, end within it",
  }),
  SHUTDOWN_DRAIN_MS: num({ default: 10_000, desc: 'longest wait for in-flight requests on stop' }),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: num({
    default: 65_000,
    desc: 'how long an idle HTTP connection is kept open: longer than clients and proxies keep theirs',
  }),
  TIMESCALEDB: timescaleMode({ default: 'auto', desc: 'use the TimescaleDB extension' }),
  MIGRATE_ON_START: bool({ default: true }),
  RETENTION: postgresInterval({
    default: '2 years',
    desc: 'raw time-series retention of a tenant without a horizon of its own',
  }),
  COMPRESS_AFTER: compressAfter({
    default: '30 days',
    desc: 'TimescaleDB: age after which rows move to the compressed archive, or "off"',
  }),
  ROLLUP_REFRESH_SECONDS: num({ default: 60, desc: "period of the gateway's maintenance loop" }),
  ROLLUP_REFRESH: str({
    choices: ['after-write', 'before-read'],
    default: undefined,
    desc: 'TimescaleDB: refresh what a write made stale after its commit, or before the next read (one gateway process only); default before-read on the embedded database, after-write on a server',
  }),
  MAINTENANCE: str({
    choices: ['gateway', 'jobs'],
    default: 'gateway',
    desc: 'TimescaleDB server: who refreshes, archives, compresses and applies retention',
  }),
  EMBEDDED_DATA_DIR: str({ default: '.shelfops/data', desc: 'embedded data; "memory" keeps none' }),
  EMBEDDED_RESET: bool({ default: false, desc: 'wipe the embedded data directory at start' }),
  SEED_DEMO: bool({ default: true, desc: 'embedded: load demo data into an empty database' }),
  JWT_SECRET: str({ default: undefined, desc: 'HS256 secret (at least 32 characters)' }),
  JWT_JWKS_FILE: str({ default: undefined, desc: 'path of a JWKS file (RS256/ES256)' }),
  JWT_JWKS_URL: url({ default: undefined, desc: 'URL of a JWKS endpoint (RS256/ES256)' }),
  JWT_ISSUER: str({ default: 'shelfops-dev' }),
  JWT_AUDIENCE: str({ default: 'shelfops-gateway' }),
  JWT_CLOCK_TOLERANCE_SECONDS: num({ default: 30 }),
  JWT_JWKS_CACHE_SECONDS: num({ default: 600, desc: 'JWKS URL: how long fetched keys are kept' }),
  JWT_JWKS_COOLDOWN_SECONDS: num({
    default: 30,
    desc: 'JWKS URL: least time between two fetches (an unknown kid triggers one)',
  }),
  REDIS_URL: url({
    default: undefined,
    desc: 'Redis shared by replicas (persisted queries, rate limits); unset = in memory',
  }),
  REDIS_KEY_PREFIX: str({ default: 'shelfops:', desc: 'prefix of every Redis key' }),
  REDIS_TIMEOUT_MS: num({
    default: 50,
    desc: 'deadline of one Redis call; a slower Redis counts as unavailable (cache degraded)',
  }),
  REDIS_PROBE_MS: num({
    default: 1000,
    desc: 'while Redis counts as unavailable: how often it is checked again',
  }),
  RESPONSE_CACHE_TTL_SECONDS: num({
    default: 60,
    desc: 'lifetime of a cached query answer; 0 turns the response cache off',
  }),
  RESPONSE_CACHE_MAX_BYTES: num({
    default: 32 * 1024 * 1024,
    desc: 'memory the in-process response cache may hold (unused with REDIS_URL)',
  }),
  TRUSTED_DOCUMENTS_FILE: str({
    default: undefined,
    desc: 'JSON map of hash to document (npm run manifest); the only operations partners may run',
  }),
  APQ_MAX_ENTRIES: num({ default: 1000, desc: 'automatic persisted queries kept in memory' }),
  APQ_TTL_SECONDS: num({ default: 604_800, desc: 'lifetime of an automatic persisted query' }),
  APQ_MAX_QUERY_BYTES: num({ default: 20_000, desc: 'largest document APQ registers' }),
  RATE_LIMIT_REQUESTS: num({ default: 600, desc: 'requests per tenant per window; 0 = off' }),
  RATE_LIMIT_WINDOW_SECONDS: num({ default: 60 }),
  MAX_DEPTH: num({ default: 10, desc: 'deepest field nesting of an operation' }),
  MAX_ALIASES: num({ default: 15 }),
  MAX_DIRECTIVES: num({ default: 10 }),
  MAX_TOKENS: num({ default: 2000, desc: 'lexical tokens of a document' }),
  MAX_COST_ANALYST: num({ default: 50_000, desc: 'cost limit of one analyst operation' }),
  MAX_COST_PARTNER: num({ default: 20_000, desc: 'cost limit of one partner operation' }),
  MAX_COST_ADMIN: num({ default: 50_000, desc: 'cost limit of one admin operation' }),
  MAX_BODY_BYTES: num({ default: 4_194_304, desc: 'largest request body (413 above)' }),
  MAX_BODIES_IN_FLIGHT_BYTES: num({
    default: 8_388_608,
    desc: 'request-body bytes held at once (announced length, or MAX_BODY_BYTES without one); later requests wait up to DB_POOL_WAIT_MS, then 503 OVERLOADED',
  }),
  MAX_TENANT_BODIES_IN_FLIGHT_BYTES: num({
    default: 1_048_576,
    desc: "request-body bytes one tenant's requests hold at once (one body, however large, is always allowed), so that one tenant's uploads cannot starve another's and concurrent uploads do not stall its own queries",
  }),
  UPLOAD_WORKERS: num({
    default: 1,
    desc: 'worker threads that read recordSales upload bodies (bodies over SMALL_BODY_BYTES) off the main thread, so that queries are not held while 5 000 lines are parsed and checked; 0 reads them on the main thread',
  }),
  UPLOAD_CHUNK_LINES: num({
    default: 500,
    desc: "lines per insert statement of a recordSales upload while queries or small mutations execute (with none executing, four chunks a statement), all in the upload's one transaction; between statements the upload gives way to queries (UPLOAD_YIELD_MS). 0: one statement per upload",
  }),
  UPLOAD_YIELD_MS: num({
    default: 250,
    desc: "longest an upload's next insert statement waits while queries and small mutations execute, so that they do not share the cores with it (against a server; the embedded database has one connection, held by the upload); 0: never waits",
  }),
  SMALL_BODY_BYTES: num({
    default: 65_536,
    desc: 'bodies up to this size (queries, small mutations) have a lane of their own, 16 of them at once (8 per tenant), so they never wait behind uploads',
  }),
  BODY_MIN_BYTES_PER_SECOND: num({
    default: 65_536,
    desc: 'a request body must arrive within BODY_GRACE_SECONDS plus its size at this rate, else 408 BODY_TOO_SLOW',
  }),
  BODY_GRACE_SECONDS: num({
    default: 10,
    desc: 'time a request body may take before BODY_MIN_BYTES_PER_SECOND applies',
  }),
  MAX_DOCUMENT_BYTES: num({
    default: 50_000,
    desc: 'largest GraphQL document, comments and whitespace included',
  }),
  SLOW_QUERY_MS: num({
    default: 500,
    desc: 'statements at least this long are logged as JSON with their plan (EXPLAIN, same values) and kept for npm run doctor',
  }),
  FUTURE_TOLERANCE_SECONDS: num({
    default: 300,
    desc: 'how far past the server clock a sale or snapshot time may lie (clock skew)',
  }),
  METRICS_TOKEN: str({ default: undefined, desc: 'bearer token /metrics requires; unset = open' }),
};

export type Config = {
  nodeEnv: 'development' | 'production' | 'test';
  host: string;
  port: number;
  logLevel: string;
  databaseUrl: string | undefined;
  poolMax: number;
  statementTimeoutMs: number;
  /** Longest wait for a pooled connection before DATABASE_UNAVAILABLE. */
  poolWaitMs: number;
  readyTimeoutMs: number;
  /** How long a tenant's status is trusted; open streams read it again this often. */
  tenantStatusIntervalMs: number;
  /** On SIGTERM/SIGINT: longest wait for in-flight requests before closing them. */
  shutdownDrainMs: number;
  /** An idle HTTP connection's life: longer than its client's, so the client closes it first. */
  keepAliveTimeoutMs: number;
  timescaledb: 'auto' | 'on' | 'off';
  migrateOnStart: boolean;
  retention: string;
  /** null: nothing is archived or compressed. */
  compressAfter: string | null;
  rollupRefreshSeconds: number;
  /**
   * TimescaleDB: when the rollups are refreshed for the range a write made stale: after the
   * write commits, or before the tenant's next read (sound only where one process writes and
   * reads, as on the embedded database).
   */
  rollupRefresh: 'after-write' | 'before-read';
  /** TimescaleDB server: the gateway's loop, or TimescaleDB's job runner (see db/maintenance). */
  maintenance: 'gateway' | 'jobs';
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
    jwksCacheSeconds: number;
    jwksCooldownSeconds: number;
  };
  /**
   * `timeoutMs`: deadline of one call; after a few failed calls in a row Redis counts as
   * unavailable (every use falls back) and is checked again every `probeMs`.
   */
  redis: { url: string | undefined; keyPrefix: string; timeoutMs: number; probeMs: number };
  persisted: {
    /** null: no trusted documents, so partners can run nothing. */
    trustedDocumentsFile: string | null;
    apqMaxEntries: number;
    apqTtlSeconds: number;
    apqMaxQueryBytes: number;
  };
  /** `ttlSeconds` 0 turns the response cache off. */
  responseCache: { ttlSeconds: number; maxBytes: number };
  /** Requests per tenant per window; `requests` 0 turns the limit off. */
  rateLimit: { requests: number; windowSeconds: number };
  limits: {
    maxDepth: number;
    maxAliases: number;
    maxDirectives: number;
    maxTokens: number;
    maxCost: Record<Role, number>;
    maxBodyBytes: number;
    /**
     * Request-body bytes held at once: a parsed upload weighs about ten times its body, so this
     * bounds the heap that concurrent uploads take, whatever their number.
     */
    maxBodiesInFlightBytes: number;
    /**
     * Request-body bytes one tenant holds at once (one body, however large, always), so that
     * it cannot starve the others and its concurrent uploads do not stall its own queries.
     */
    maxTenantBodiesInFlightBytes: number;
    /** Bodies up to this size have a lane of their own beside the uploads. */
    smallBodyBytes: number;
    /** After `bodyGraceSeconds`, a body arriving slower than this on average is refused (408). */
    bodyMinBytesPerSecond: number;
    bodyGraceSeconds: number;
    maxDocumentBytes: number;
    futureToleranceSeconds: number;
  };
  /** Worker threads reading upload bodies off the main thread (0: none). */
  uploadWorkers: number;
  /** How uploads' inserts give way to queries: lines per statement, longest wait before one. */
  ingest: { chunkLines: number; yieldMs: number };
  /** Statements at least this long go to the slow log with their plan. */
  slowQueryMs: number;
  /** undefined: /metrics is open to whoever reaches the port. */
  metricsToken: string | undefined;
};

/** Reads and validates the environment; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable (`REDIS_URL=` in a compose file) means "not set", not "invalid".
  const given = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const e = cleanEnv(given, specification, {
    reporter: ({ errors }) => {
      const problems = Object.entries(errors).map(
        ([name, error]) => `${name}: ${error instanceof Error ? error.message : String(error)}`,
      );
      if (problems.length > 0) throw new ConfigError(problems);
    },
  });
  const problems: string[] = [];
  // An empty variable (JWT_SECRET= in an env file) means unset.
  const jwtSecret = e.JWT_SECRET || undefined;
  if (jwtSecret !== undefined && jwtSecret.length < 32) {
    problems.push('JWT_SECRET: must be at least 32 characters');
  }
  if (e.NODE_ENV === 'production' && !jwtSecret && !e.JWT_JWKS_FILE && !e.JWT_JWKS_URL) {
    problems.push('JWT_SECRET, JWT_JWKS_FILE or JWT_JWKS_URL: one is required in production');
  }
  if (e.DB_POOL_MAX < 1) problems.push('DB_POOL_MAX: must be at least 1');
  if (e.MAX_BODIES_IN_FLIGHT_BYTES < e.MAX_BODY_BYTES) {
    problems.push('MAX_BODIES_IN_FLIGHT_BYTES: must be at least MAX_BODY_BYTES');
  }
  if (e.MAX_TENANT_BODIES_IN_FLIGHT_BYTES > e.MAX_BODIES_IN_FLIGHT_BYTES) {
    problems.push('MAX_TENANT_BODIES_IN_FLIGHT_BYTES: must be at most MAX_BODIES_IN_FLIGHT_BYTES');
  }
  if (e.JWT_JWKS_FILE && e.JWT_JWKS_URL) {
    problems.push('JWT_JWKS_FILE, JWT_JWKS_URL: set one of them, not both');
  }
  if (e.JWT_CLOCK_TOLERANCE_SECONDS < 0 || e.JWT_CLOCK_TOLERANCE_SECONDS > 300) {
    problems.push('JWT_CLOCK_TOLERANCE_SECONDS: must be between 0 and 300');
  }
  const positive = {
    STATEMENT_TIMEOUT_MS: e.STATEMENT_TIMEOUT_MS,
    DB_POOL_WAIT_MS: e.DB_POOL_WAIT_MS,
    READY_TIMEOUT_MS: e.READY_TIMEOUT_MS,
    TENANT_STATUS_INTERVAL_MS: e.TENANT_STATUS_INTERVAL_MS,
    REDIS_TIMEOUT_MS: e.REDIS_TIMEOUT_MS,
    REDIS_PROBE_MS: e.REDIS_PROBE_MS,
    SHUTDOWN_DRAIN_MS: e.SHUTDOWN_DRAIN_MS,
    HTTP_KEEP_ALIVE_TIMEOUT_MS: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    JWT_JWKS_CACHE_SECONDS: e.JWT_JWKS_CACHE_SECONDS,
    APQ_MAX_ENTRIES: e.APQ_MAX_ENTRIES,
    APQ_TTL_SECONDS: e.APQ_TTL_SECONDS,
    APQ_MAX_QUERY_BYTES: e.APQ_MAX_QUERY_BYTES,
    RATE_LIMIT_WINDOW_SECONDS: e.RATE_LIMIT_WINDOW_SECONDS,
    MAX_DEPTH: e.MAX_DEPTH,
    MAX_ALIASES: e.MAX_ALIASES,
    MAX_DIRECTIVES: e.MAX_DIRECTIVES,
    MAX_TOKENS: e.MAX_TOKENS,
    MAX_COST_ANALYST: e.MAX_COST_ANALYST,
    MAX_COST_PARTNER: e.MAX_COST_PARTNER,
    MAX_COST_ADMIN: e.MAX_COST_ADMIN,
    RESPONSE_CACHE_MAX_BYTES: e.RESPONSE_CACHE_MAX_BYTES,
    MAX_BODY_BYTES: e.MAX_BODY_BYTES,
    MAX_DOCUMENT_BYTES: e.MAX_DOCUMENT_BYTES,
    MAX_TENANT_BODIES_IN_FLIGHT_BYTES: e.MAX_TENANT_BODIES_IN_FLIGHT_BYTES,
    SMALL_BODY_BYTES: e.SMALL_BODY_BYTES,
    BODY_MIN_BYTES_PER_SECOND: e.BODY_MIN_BYTES_PER_SECOND,
  };
  for (const [name, value] of Object.entries(positive)) {
    if (!Number.isInteger(value) || value < 1) problems.push(`${name}: must be a positive integer`);
  }
  const nonNegative = {
    JWT_JWKS_COOLDOWN_SECONDS: e.JWT_JWKS_COOLDOWN_SECONDS,
    RATE_LIMIT_REQUESTS: e.RATE_LIMIT_REQUESTS,
    RESPONSE_CACHE_TTL_SECONDS: e.RESPONSE_CACHE_TTL_SECONDS,
    FUTURE_TOLERANCE_SECONDS: e.FUTURE_TOLERANCE_SECONDS,
    BODY_GRACE_SECONDS: e.BODY_GRACE_SECONDS,
    UPLOAD_WORKERS: e.UPLOAD_WORKERS,
    UPLOAD_CHUNK_LINES: e.UPLOAD_CHUNK_LINES,
    UPLOAD_YIELD_MS: e.UPLOAD_YIELD_MS,
  };
  for (const [name, value] of Object.entries(nonNegative)) {
    if (!(value >= 0)) problems.push(`${name}: must not be negative`);
  }
  if (e.REDIS_URL && !/^rediss?:$/.test(new URL(e.REDIS_URL).protocol)) {
    problems.push('REDIS_URL: must be a redis:// or rediss:// URL');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    nodeEnv: e.NODE_ENV as Config['nodeEnv'],
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.DATABASE_URL,
    poolMax: e.DB_POOL_MAX,
    statementTimeoutMs: e.STATEMENT_TIMEOUT_MS,
    poolWaitMs: e.DB_POOL_WAIT_MS,
    readyTimeoutMs: e.READY_TIMEOUT_MS,
    tenantStatusIntervalMs: e.TENANT_STATUS_INTERVAL_MS,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    timescaledb: e.TIMESCALEDB,
    migrateOnStart: e.MIGRATE_ON_START,
    retention: e.RETENTION,
    compressAfter: e.COMPRESS_AFTER === 'off' ? null : e.COMPRESS_AFTER,
    rollupRefreshSeconds: e.ROLLUP_REFRESH_SECONDS,
    rollupRefresh: (e.ROLLUP_REFRESH ??
      (e.DATABASE_URL ? 'after-write' : 'before-read')) as Config['rollupRefresh'],
    maintenance: e.MAINTENANCE as Config['maintenance'],
    embeddedDataDir: e.EMBEDDED_DATA_DIR === 'memory' ? null : e.EMBEDDED_DATA_DIR,
    embeddedReset: e.EMBEDDED_RESET,
    seedDemo: e.SEED_DEMO,
    jwt: {
      secret: jwtSecret,
      jwksFile: e.JWT_JWKS_FILE,
      jwksUrl: e.JWT_JWKS_URL,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      clockToleranceSeconds: e.JWT_CLOCK_TOLERANCE_SECONDS,
      jwksCacheSeconds: e.JWT_JWKS_CACHE_SECONDS,
      jwksCooldownSeconds: e.JWT_JWKS_COOLDOWN_SECONDS,
    },
    redis: {
      url: e.REDIS_URL,
      keyPrefix: e.REDIS_KEY_PREFIX,
      timeoutMs: e.REDIS_TIMEOUT_MS,
      probeMs: e.REDIS_PROBE_MS,
    },
    persisted: {
      trustedDocumentsFile: e.TRUSTED_DOCUMENTS_FILE ?? null,
      apqMaxEntries: e.APQ_MAX_ENTRIES,
      apqTtlSeconds: e.APQ_TTL_SECONDS,
      apqMaxQueryBytes: e.APQ_MAX_QUERY_BYTES,
    },
    responseCache: {
      ttlSeconds: e.RESPONSE_CACHE_TTL_SECONDS,
      maxBytes: e.RESPONSE_CACHE_MAX_BYTES,
    },
    rateLimit: { requests: e.RATE_LIMIT_REQUESTS, windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS },
    limits: {
      maxDepth: e.MAX_DEPTH,
      maxAliases: e.MAX_ALIASES,
      maxDirectives: e.MAX_DIRECTIVES,
      maxTokens: e.MAX_TOKENS,
      maxCost: {
        analyst: e.MAX_COST_ANALYST,
        partner: e.MAX_COST_PARTNER,
        admin: e.MAX_COST_ADMIN,
      },
      maxBodyBytes: e.MAX_BODY_BYTES,
      maxBodiesInFlightBytes: e.MAX_BODIES_IN_FLIGHT_BYTES,
      maxTenantBodiesInFlightBytes: e.MAX_TENANT_BODIES_IN_FLIGHT_BYTES,
      smallBodyBytes: e.SMALL_BODY_BYTES,
      bodyMinBytesPerSecond: e.BODY_MIN_BYTES_PER_SECOND,
      bodyGraceSeconds: e.BODY_GRACE_SECONDS,
      maxDocumentBytes: e.MAX_DOCUMENT_BYTES,
      futureToleranceSeconds: e.FUTURE_TOLERANCE_SECONDS,
    },
    uploadWorkers: Math.floor(e.UPLOAD_WORKERS),
    ingest: { chunkLines: Math.floor(e.UPLOAD_CHUNK_LINES), yieldMs: e.UPLOAD_YIELD_MS },
    slowQueryMs: e.SLOW_QUERY_MS,
    metricsToken: e.METRICS_TOKEN || undefined,
  };
}
