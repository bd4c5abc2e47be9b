import type { Duplex } from 'node:stream';
import pg from 'pg';

// Exact values end to end: numeric and bigint stay strings, dates stay 'YYYY-MM-DD'.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

/** Where a pool connects: a connection string, or an in-process stream (embedded database). */
export type DatabaseTarget = string | { connect(): Duplex };

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
export function createPool(target: DatabaseTarget, max: number, options: PoolOptions = {}) {
  const connection =
    typeof target === 'string'
      ? { connectionString: target }
      : { stream: () => target.connect(), user: 'postgres', database: 'postgres' };
  const pool = new pg.Pool({
    ...connection,
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

/**
 * A statement the driver gives up on when the server has not answered within `deadlineMs`
 * ("Query read timeout"); no deadline when it is undefined.
 */
export function withDeadline(
  text: string,
  values: unknown[] | undefined,
  deadlineMs: number | undefined,
): pg.QueryConfig {
  const config: pg.QueryConfig & { query_timeout?: number } = {
    text,
    ...(values ? { values } : {}),
    ...(deadlineMs ? { query_timeout: deadlineMs } : {}),
  };
  return config;
}

/** A pool or one of its connections: what a statement outside a request can run on. */
export type Queryable = pg.Pool | pg.PoolClient;

/**
 * Runs `work` in one transaction on `db` (a connection of its own when `db` is a pool) and
 * commits; rolls back and rethrows what `work` threw.
 */
export async function inTransaction<T>(
  db: Queryable,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = db instanceof pg.Pool ? await db.connect() : db;
  const owned = client !== db;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    if (owned) client.release();
    return result;
  } catch (error) {
    // A connection of our own whose transaction state is unknown is dropped, which rolls back.
    if (owned) client.release(error instanceof Error ? error : true);
    else await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

export type { Pool, PoolClient, QueryResultRow } from 'pg';
