import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveRowsBefore } from '../src/db/archive.js';
import { WITH_SERVER } from './support/backends.js';
import { uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { insertSales, insertTenants, salesTenant, type SaleRow } from './support/sales-data.js';

// Every analytics answer says how complete it is (extensions.freshness), and dataFreshness asks
// directly: the newest committed sale line the caller sees and, on TimescaleDB, up to when the
// rollups hold every line. A cached answer keeps its freshness, and a write moves both on.

const TREND = `query($from: DateTime!) {
  salesTrend(range: { from: $from, to: "2026-07-01T00:00:00Z" }, granularity: DAY) { bucket units }
}`;
const FRESHNESS = `{ dataFreshness { asOf rollupsMaterializedThrough pendingRollupRanges } }`;
const RECORD = `mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted } }`;

interface Freshness {
  asOf: string | null;
  rollupsMaterializedThrough: string | null;
  pendingRollupRanges: number;
}

describe.each(WITH_SERVER)('freshness on %s', (kind) => {
  let gw: TestGateway;
  const tenant = salesTenant(0x18f, 'Fresh retail', 2);
  const line = (n: number, iso: string, store = 1): SaleRow => ({
    customerId: tenant.customerId,
    transactionId: uuid(0x18f0, n),
    time: Date.parse(iso),
    storeId: uuid(1, store),
    productId: uuid(2, 1),
    quantity: 2,
    priceCents: 150n,
  });
  let analyst = '';
  let admin = '';
  const freshnessOf = (res: { extensions?: Record<string, unknown> }) =>
    res.extensions?.['freshness'] as Freshness | undefined;
  const materialized = (asOf: string | null) => (kind === 'postgres' ? null : asOf);

  beforeAll(async () => {
    gw = await startTestGateway(kind, { RESPONSE_CACHE_TTL_SECONDS: '300', RETENTION: '20 years' });
    await insertTenants(gw.owner, [tenant]);
    analyst = await gw.token(tenant.customerId, 'analyst');
    admin = await gw.token(tenant.customerId, 'admin');
  }, 120_000);
  afterAll(() => gw?.close());

  it('says there is nothing yet', async () => {
    const res = await gw.graphql<{ dataFreshness: Freshness }>(FRESHNESS, {}, analyst);
    expect(res.errors).toBeUndefined();
    expect(res.data?.dataFreshness).toEqual({
      asOf: null,
      rollupsMaterializedThrough: null,
      pendingRollupRanges: 0,
    });
  });

  it('tells each analytics answer its freshness, keeps it on a cache hit, moves it with a write', async () => {
    await insertSales(gw.owner, [
      line(1, '2026-06-01T09:00:00Z'),
      line(2, '2026-06-03T10:42:00Z'),
      line(3, '2026-06-02T08:00:00Z', 2),
    ]);
    const vars = { from: '2026-06-01T00:00:00Z' };
    const first = await gw.graphql(TREND, vars, analyst);
    expect(first.errors).toBeUndefined();
    expect(first.headers.get('x-shelfops-cache')).toBe('MISS');
    const told = {
      asOf: '2026-06-03T10:42:00.000Z',
      rollupsMaterializedThrough: materialized('2026-06-03T10:42:00.000Z'),
      pendingRollupRanges: 0,
    };
    expect(freshnessOf(first)).toEqual(told);

    const again = await gw.graphql(TREND, vars, analyst);
    expect(again.headers.get('x-shelfops-cache')).toBe('HIT');
    expect(again.data).toEqual(first.data);
    expect(freshnessOf(again)).toEqual(told);

    const recorded = await gw.graphql(
      RECORD,
      {
        s: [
          {
            transactionId: uuid(0x18f1, 1),
            time: '2026-06-04T07:15:00Z',
            storeId: uuid(1, 1),
            productId: uuid(2, 1),
            quantity: 1,
            unitPrice: '1.50',
          },
        ],
      },
      admin,
    );
    expect(recorded.errors).toBeUndefined();
    const after = await gw.graphql(TREND, vars, analyst);
    expect(after.headers.get('x-shelfops-cache')).toBe('MISS');
    expect(freshnessOf(after)).toEqual({
      asOf: '2026-06-04T07:15:00.000Z',
      rollupsMaterializedThrough: materialized('2026-06-04T07:15:00.000Z'),
      pendingRollupRanges: 0,
    });
    const direct = await gw.graphql<{ dataFreshness: Freshness }>(FRESHNESS, {}, analyst);
    expect(direct.data?.dataFreshness).toEqual(freshnessOf(after));
  });

  it('counts only the lines of a store-scoped caller’s stores', async () => {
    const scoped = await gw.token(tenant.customerId, 'analyst', [uuid(1, 2)]);
    const res = await gw.graphql<{ dataFreshness: Freshness }>(FRESHNESS, {}, scoped);
    expect(res.data?.dataFreshness.asOf).toBe('2026-06-02T08:00:00.000Z');
  });

  it('tells rankings and nested trends too', async () => {
    const res = await gw.graphql(
      `{ topProducts(range: { from: "2026-06-01T00:00:00Z", to: "2026-06-05T00:00:00Z" }) { units }
         stores { edges { node { salesTrend(range: { from: "2026-06-01T00:00:00Z", to: "2026-06-05T00:00:00Z" }, granularity: DAY) { units } } } } }`,
      {},
      analyst,
    );
    expect(res.errors).toBeUndefined();
    expect(freshnessOf(res)?.asOf).toBe('2026-06-04T07:15:00.000Z');
  });

  it.runIf(kind !== 'postgres')(
    'says up to when the rollups hold every line while a written range awaits its refresh',
    async () => {
      // A refresh that failed after its write's commit leaves its ledger entry for a retry.
      await gw.owner.query(
        `INSERT INTO stale_rollup_ranges (customer_id, id, range_start, range_end)
         VALUES ($1, gen_random_uuid(), '2026-06-02T00:00:00Z', '2026-06-02T01:00:00Z')`,
        [tenant.customerId],
      );
      const res = await gw.graphql<{ dataFreshness: Freshness }>(
        `{ dataFreshness { asOf rollupsMaterializedThrough pendingRollupRanges } __typename }`,
        {},
        analyst,
      );
      expect(res.data?.dataFreshness).toEqual({
        asOf: '2026-06-04T07:15:00.000Z',
        rollupsMaterializedThrough: '2026-06-02T00:00:00.000Z',
        pendingRollupRanges: 1,
      });
      await gw.owner.query(`DELETE FROM stale_rollup_ranges WHERE customer_id = $1`, [
        tenant.customerId,
      ]);
    },
  );
  it('finds the newest line by a probe of the index, however stale the statistics', async () => {
    // 20 000 older lines of store 1 written since the table was last analyzed, as a first upload
    // of history leaves it: the newest line must still be read from the index's end.
    await gw.owner.query(
      `INSERT INTO transactions (customer_id, transaction_id, time, store_id, product_id,
                                 quantity, unit_price, revenue)
       SELECT $1, gen_random_uuid(), timestamptz '2026-01-01T00:00:00Z' + n * interval '1 minute',
              $2, $3, 1, 1.25, 1.25
       FROM generate_series(1, 20000) n`,
      [tenant.customerId, uuid(1, 1), uuid(2, 1)],
    );
    const client = await gw.owner.connect();
    try {
      await client.query('BEGIN');
      // Rows the transaction has read so far from the project's tables and indexes.
      const rowsRead = async () => {
        const { rows } = await client.query<{ n: string }>(
          `SELECT coalesce(sum(pg_stat_get_xact_tuples_fetched(c.oid)
                               + pg_stat_get_xact_tuples_returned(c.oid)), 0) AS n
           FROM pg_class c
           WHERE c.relkind IN ('r', 'i')
             AND c.relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace,
                                        'pg_toast'::regnamespace)`,
        );
        return Number(rows[0]?.n);
      };
      for (const [scope, store] of [
        ['*', null],
        [uuid(1, 2), uuid(1, 2)],
      ] as const) {
        const { rows: expected } = await client.query<{ newest: Date }>(
          `SELECT max(time) AS newest FROM transactions
           WHERE customer_id = $1 AND ($2::uuid IS NULL OR store_id = $2)`,
          [tenant.customerId, store],
        );
        await client.query(
          `SELECT set_config('app.customer_id', $1, true), set_config('app.store_ids', $2, true)`,
          [tenant.customerId, scope],
        );
        const before = await rowsRead();
        const { rows } = await client.query<{ newest: Date }>(
          'SELECT app.newest_sale_line() AS newest',
        );
        const read = (await rowsRead()) - before;
        expect(rows[0]?.newest).toEqual(expected[0]?.newest);
        expect(read, `rows read for scope ${scope}`).toBeLessThan(100);
      }
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });
  it.runIf(kind !== 'postgres')(
    'counts archived lines newer than a late line recorded since',
    async () => {
      // Every line so far moves to the compressed archive; then a line of May arrives late and
      // is stored hot. The newest line is still the archived one of 4 June.
      await archiveRowsBefore(gw.owner, new Date('2026-07-01T00:00:00Z'));
      await insertSales(gw.owner, [line(9, '2026-05-01T12:00:00Z')]);
      // Written behind the gateway's back (no data version moved): a query of its own text.
      const res = await gw.graphql<{ dataFreshness: Pick<Freshness, 'asOf'> }>(
        `{ dataFreshness { asOf } }`,
        {},
        analyst,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data?.dataFreshness.asOf).toBe('2026-06-04T07:15:00.000Z');
    },
  );
});
