import pg from 'pg';

/** An owner connection of its own that holds a table lock until released. */
export interface HeldLock {
  release(): Promise<void>;
}

/** Locks `table` against every reader and writer, from a connection outside the gateway's pool. */
export async function lockTable(url: string, table: string): Promise<HeldLock> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('BEGIN');
  await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
  return {
    async release() {
      await client.query('ROLLBACK');
      await client.end();
    },
  };
}

/** Statements running right now in `database` whose text contains `label`, with their state. */
export async function activeStatements(
  url: string,
  label: string,
): Promise<{ pid: number; waiting: boolean }[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number; waiting: boolean }>(
      `SELECT pid, wait_event_type = 'Lock' AS waiting FROM pg_stat_activity
       WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()
         AND position($1 in query) > 0`,
      [label],
    );
    return rows;
  } finally {
    await client.end();
  }
}

/** Polls `probe` every 20 ms until it returns true; returns the time that took, or throws. */
export async function waitFor(probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await probe()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) {
      throw new Error(`condition not met within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
