import type { Duplex } from 'node:stream';
import pg from 'pg';

// Exact values end to end: numeric and bigint stay strings, dates stay 'YYYY-MM-DD'.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

/** Where a pool connects: a connection string, or an in-process stream (embedded database). */
export type DatabaseTarget = string | { connect(): Duplex };

/** A pg pool whose connections are never dropped while idle (the embedded server has one). */
export function createPool(target: DatabaseTarget, max: number): pg.Pool {
  const connection =
    typeof target === 'string'
      ? { connectionString: target }
      : { stream: () => target.connect(), user: 'postgres', database: 'postgres' };
  return new pg.Pool({ ...connection, max, idleTimeoutMillis: 0, allowExitOnIdle: true });
}

/** A pool or one of its connections: what a statement outside a request can run on. */
export type Queryable = pg.Pool | pg.PoolClient;

export type { Pool, PoolClient, QueryResultRow } from 'pg';
