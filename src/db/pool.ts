import pg from 'pg';

// Exact values end to end: numeric and bigint stay strings, dates stay 'YYYY-MM-DD'.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

/** How a pool waits for and keeps its connections. */
export interface PoolOptions {
  /** Longest wait for a connection (a free one, or a new one being opened); 0 waits forever. */
  waitMs?: number;
  /**
   * Ends any statement after this long, on the server (statement_timeout) and in the driver
   * (a connection that stops answering); unset: no limit beyond the caller's own.
   */
  statementTimeoutMs?: number;
  applicationName?: string;
}

/**
 * A pg pool whose connections are never dropped while idle (the embedded server has one) and
 * whose checked-out connections cannot crash the process: pg emits 'error' on a client whose
 * server goes away, and the pool listens only while the client is idle. The statement in
 * flight fails with the same error, so the listener has nothing left to do.
 */
export function createPool(connectionString: string, max: number, options: PoolOptions = {}) {
  const pool = new pg.Pool({
    connectionString,
    max,
    idleTimeoutMillis: 0,
    allowExitOnIdle: true,
    connectionTimeoutMillis: options.waitMs ?? 0,
    ...(options.statementTimeoutMs
      ? { statement_timeout: options.statementTimeoutMs, query_timeout: options.statementTimeoutMs }
      : {}),
    ...(options.applicationName ? { application_name: options.applicationName } : {}),
  });
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  return pool;
}

export type { Pool, PoolClient, QueryResultRow } from 'pg';
