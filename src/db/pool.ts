import pg from 'pg';

// Exact values end to end: numeric and bigint stay strings, dates stay 'YYYY-MM-DD'.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

/** A pg pool whose connections are never dropped while idle (the embedded server has one). */
export function createPool(connectionString: string, max: number): pg.Pool {
  return new pg.Pool({ connectionString, max, idleTimeoutMillis: 0, allowExitOnIdle: true });
}

export type { Pool, PoolClient, QueryResultRow } from 'pg';
