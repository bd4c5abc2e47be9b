import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDatabase, type EmbeddedDatabase } from '../src/db/embedded.js';
import { createPool, type Pool } from '../src/db/pool.js';

describe('embedded database bridge', () => {
  let embedded: EmbeddedDatabase;
  let pool: Pool;
  // Listening sockets of this process (TCP ports, unix sockets) before the database starts.
  const listeners = () =>
    process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap' || r === 'PipeServerWrap');
  let before: string[];

  beforeAll(async () => {
    before = listeners();
    embedded = await startEmbeddedDatabase({ dataDir: null });
    pool = createPool(embedded, 1);
    await pool.query('CREATE TABLE notes (id integer PRIMARY KEY, body text NOT NULL)');
  });
  afterAll(async () => {
    await pool?.end();
    await embedded?.close();
  });

  it('opens no port or socket that another process could connect to', async () => {
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    expect(listeners()).toEqual(before);
  });

  it('passes statements far larger than one socket read (1 MiB of parameters)', async () => {
    const ids = Array.from({ length: 20_000 }, (_, i) => i);
    const bodies = ids.map((i) => `note ${i} `.padEnd(50, '.'));
    await pool.query('INSERT INTO notes SELECT * FROM unnest($1::integer[], $2::text[])', [
      ids,
      bodies,
    ]);
    const { rows } = await pool.query<{ count: string; total: string }>(
      'SELECT count(*) AS count, sum(length(body)) AS total FROM notes',
    );
    expect(rows[0]).toEqual({ count: '20000', total: String(20_000 * 50) });
  });

  it('gives the next client a fresh session when one leaves inside a transaction', async () => {
    const leaving = await pool.connect();
    await leaving.query('BEGIN');
    await leaving.query(`SELECT set_config('app.customer_id', 'leaked', true)`);
    await leaving.query(`SET ROLE pg_read_all_data`);
    leaving.release(true);
    const { rows } = await pool.query<{ setting: string | null; role: string }>(
      `SELECT current_setting('app.customer_id', true) AS setting, current_user AS role`,
    );
    expect(rows[0]?.setting ?? '').toBe('');
    expect(rows[0]?.role).toBe('postgres');
  });

  it('keeps resolving names after an error raised inside a foreign-key check', async () => {
    await pool.query('CREATE EXTENSION IF NOT EXISTS timescaledb');
    await pool.query('CREATE TABLE parents (id integer PRIMARY KEY)');
    await pool.query(
      'CREATE TABLE readings (time timestamptz NOT NULL, parent integer REFERENCES parents (id))',
    );
    await pool.query(`SELECT create_hypertable('readings', by_range('time'))`);
    await pool.query('INSERT INTO parents VALUES (1); INSERT INTO readings VALUES (now(), 1)');
    await expect(pool.query('DELETE FROM parents WHERE id = $1', [1])).rejects.toThrow(
      /foreign key/,
    );
    const { rows } = await pool.query<{ count: string }>('SELECT count(*) AS count FROM parents');
    expect(rows[0]?.count).toBe('1');
  });
});
