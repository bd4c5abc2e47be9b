import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  archiveRowsBefore,
  archiveStats,
  compressArchive,
  ensureArchiveJob,
} from '../src/db/archive.js';
import { migrateDown, migrateUp } from '../src/db/migrate.js';
import { refreshSalesRollups } from '../src/db/rollups.js';
import { TIMESCALE_KINDS } from './support/backends.js';
import { uuid } from './support/fixtures.js';
import { asGateway } from './support/foundation-db.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { askTrend } from './support/sales-trend.js';
import {
  CATEGORIES,
  centsText,
  expectedTrend,
  generateSales,
  insertSales,
  insertTenants,
  salesTenant,
  totalsBy,
  type SaleRow,
  type TrendQuestion,
} from './support/sales-data.js';

const DAY = 86_400_000;
const WEEK = 7 * DAY;
const PERIODS = [{ from: '2026-03-01T00:00:00Z', days: 40 }];
// Archiving rounds down to a chunk boundary (whole weeks since the epoch): Thursday 19 March.
const CUT = '2026-03-21T00:00:00Z';
const BOUNDARY = Math.floor(Date.parse(CUT) / WEEK) * WEEK;

const OTHERS = `query($range: TimeRange!, $after: String) {
  dailySales(range: $range, first: 500, after: $after) {
    edges { node { day store { id } product { id } units revenue } }
    pageInfo { hasNextPage endCursor }
  }
  topProducts(range: $range, limit: 10, by: REVENUE) { product { id } units revenue }
  salesVelocity(asOf: "2026-03-25", windowDays: 14, first: 500) {
    edges { node { store { id } product { id } unitsPerDay revenuePerDay } }
  }
}`;

const INVENTORY = `query($store: UUID!, $product: UUID!) {
  latestInventory(first: 500) { edges { node { store { id } product { id } observedAt onHand allocated available } } }
  inventoryHistory(storeId: $store, productId: $product, granularity: DAY,
                   range: { from: "2026-03-01T00:00:00Z", to: "2026-04-10T00:00:00Z" }) {
    bucket onHand available minAvailable maxAvailable snapshots
  }
}`;

const RECORD = `mutation($s: [SaleInput!]!) { recordSales(sales: $s) { accepted duplicates } }`;

const QUESTIONS: TrendQuestion[] = [
  { from: '2026-03-01T00:00:00Z', to: '2026-04-10T00:00:00Z', granularity: 'DAY' },
  {
    from: '2026-03-02T05:17:31Z',
    to: '2026-03-30T13:45:02Z',
    granularity: 'DAY',
    groupBy: ['STORE'],
  },
  { from: '2026-03-17T05:17:31Z', to: '2026-03-21T13:45:02Z', granularity: 'HOUR' },
  {
    from: '2026-03-10T00:00:00Z',
    to: '2026-03-28T00:00:00Z',
    granularity: 'DAY',
    timeZone: 'Asia/Kolkata',
    groupBy: ['PRODUCT'],
  },
  {
    from: '2026-03-01T00:00:00Z',
    to: '2026-04-10T00:00:00Z',
    granularity: 'WEEK',
    timeZone: 'Europe/Berlin',
    groupBy: ['CATEGORY'],
  },
];

// Compression moves old rows out of the RLS tables into TimescaleDB's compressed archive; every
// answer must stay what it was, for every route, with late and duplicate uploads on the way.
describe.each(TIMESCALE_KINDS)('archive and compression on %s', (kind) => {
  let gw: TestGateway;
  const a = salesTenant(0xa, 'Tenant A', 4);
  const b = salesTenant(0xb, 'Tenant B', 3);
  const rows: SaleRow[] = [
    // No returns: the last test reverts past migration 0008, which cannot keep them (returns
    // through the archive are tested in sales-onboarding.test.ts).
    ...generateSales(a, 0x2a, PERIODS, 4, 60, 0),
    ...generateSales(b, 0x2b, PERIODS, 3, 60, 0),
  ];
  const category = (id: string) => CATEGORIES[a.products.findIndex((p) => p.id === id)] ?? '';
  // Snapshots of tenant A: pair (1, 1) daily over the period, pair (2, 2) only early in March.
  const snapshots = [
    ...Array.from({ length: 40 }, (_, d) => ({
      store: uuid(1, 1),
      product: uuid(2, 1),
      time: Date.parse('2026-03-01T09:00:00Z') + d * DAY,
      onHand: 100 + ((d * 37) % 50),
      allocated: d % 7,
    })),
    ...Array.from({ length: 5 }, (_, d) => ({
      store: uuid(1, 2),
      product: uuid(2, 2),
      time: Date.parse('2026-03-02T18:30:00Z') + d * DAY,
      onHand: 20 + d,
      allocated: 1,
    })),
  ];
  const tokens = { a: '', aStore: '', b: '', admin: '' };

  const trend = (q: TrendQuestion, token: string) => askTrend(gw, token, q);

  const expectTrends = async (data: readonly SaleRow[]) => {
    for (const q of QUESTIONS) {
      expect(await trend(q, tokens.a), JSON.stringify(q)).toEqual(
        expectedTrend(data, a.customerId, category, q),
      );
    }
  };

  const everything = async () => {
    const range = { from: '2026-03-01T00:00:00Z', to: '2026-04-10T00:00:00Z' };
    const others = await gw.graphql(OTHERS, { range }, tokens.a);
    const scoped = await gw.graphql(OTHERS, { range }, tokens.aStore);
    const inventory = await gw.graphql(
      INVENTORY,
      { store: uuid(1, 1), product: uuid(2, 1) },
      tokens.a,
    );
    const trends = [];
    for (const q of QUESTIONS) trends.push(await trend(q, tokens.aStore));
    for (const res of [others, scoped, inventory]) expect(res.errors).toBeUndefined();
    return { others: others.data, scoped: scoped.data, inventory: inventory.data, trends };
  };

  const archivedSaleOf = (customerId: string): SaleRow => {
    const row = rows.find((r) => r.customerId === customerId && r.time < BOUNDARY);
    if (!row) throw new Error('the fixture has no sale before the archive boundary');
    return row;
  };

  const count = async (table: string) => {
    const { rows: r } = await gw.owner.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    return Number(r[0]?.n);
  };

  let before: Awaited<ReturnType<typeof everything>>;

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenants(gw.owner, [a, b]);
    await insertSales(gw.owner, rows);
    for (const s of snapshots) {
      await gw.owner.query(
        `INSERT INTO inventory_levels (customer_id, store_id, product_id, time, on_hand, allocated)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [a.customerId, s.store, s.product, new Date(s.time), s.onHand, s.allocated],
      );
    }
    await refreshSalesRollups(gw.owner, gw.database.backend, null, null);
    tokens.a = await gw.token(a.customerId);
    tokens.aStore = await gw.token(a.customerId, 'analyst', [uuid(1, 2)]);
    tokens.b = await gw.token(b.customerId);
    tokens.admin = await gw.token(a.customerId, 'admin');
    before = await everything();
  });
  afterAll(() => gw?.close());

  it('moves the old rows into compressed chunks and answers exactly as before', async () => {
    const moves = await archiveRowsBefore(gw.owner, new Date(CUT));
    const old = rows.filter((r) => r.time < BOUNDARY).length;
    const oldSnapshots = snapshots.filter((s) => s.time < BOUNDARY).length;
    expect(moves).toEqual([
      { relation: 'inventory_levels', moved: oldSnapshots, boundary: new Date(BOUNDARY) },
      { relation: 'transactions', moved: old, boundary: new Date(BOUNDARY) },
    ]);
    expect(await count('transactions')).toBe(rows.length - old);
    expect(await count('archive.transactions')).toBe(old);
    expect(await count('archive.inventory_levels')).toBe(oldSnapshots);

    expect(await compressArchive(gw.owner)).toBeGreaterThan(0);
    expect(await compressArchive(gw.owner)).toBe(0);
    const stats = await archiveStats(gw.owner);
    const sales = stats.find((s) => s.relation === 'archive.transactions');
    expect(sales?.chunks).toBeGreaterThan(0);
    expect(sales?.compressedChunks).toBe(sales?.chunks);
    expect(sales?.bytesAfter).toBeLessThan(sales?.bytesBefore ?? 0);

    await expectTrends(rows);
    expect(await everything()).toEqual(before);
  });

  it('keeps the answers of the other tenant and of a store-scoped token to their own rows', async () => {
    const q: TrendQuestion = {
      from: '2026-03-01T00:00:00Z',
      to: '2026-04-10T00:00:00Z',
      granularity: 'DAY',
      groupBy: ['STORE'],
    };
    expect(await trend(q, tokens.b)).toEqual(expectedTrend(rows, b.customerId, () => '', q));
    const scoped = await trend({ ...q, groupBy: ['STORE'] }, tokens.aStore);
    expect(new Set(scoped.map((x) => x.storeId))).toEqual(new Set([uuid(1, 2)]));
    const total = totalsBy(
      rows,
      a.customerId,
      Date.parse(q.from),
      Date.parse(q.to),
      (r) => r.storeId,
    );
    expect(scoped.reduce((n, x) => n + x.units, 0)).toBe(total.get(uuid(1, 2))?.units);
  });

  it('counts late sale lines of archived days at once, skips archived duplicates, and moves them later', async () => {
    const late = [1, 2, 3].map((n) => ({
      transactionId: uuid(0x1a7e, n),
      time: new Date(Date.parse('2026-03-05T10:15:00Z') + n * 3_600_000).toISOString(),
      storeId: uuid(1, 1),
      productId: uuid(2, n + 1),
      quantity: n,
      unitPrice: '2.50',
    }));
    const archived = archivedSaleOf(a.customerId);
    const duplicate = {
      transactionId: archived.transactionId,
      time: new Date(archived.time).toISOString(),
      storeId: archived.storeId,
      productId: archived.productId,
      quantity: archived.quantity,
      unitPrice: centsText(archived.priceCents),
    };
    const res = await gw.graphql(RECORD, { s: [...late, duplicate] }, tokens.admin);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ recordSales: { accepted: 3, duplicates: 1 } });

    const withLate: SaleRow[] = [
      ...rows,
      ...late.map((l) => ({
        customerId: a.customerId,
        transactionId: l.transactionId,
        time: Date.parse(l.time),
        storeId: l.storeId,
        productId: l.productId,
        quantity: l.quantity,
        priceCents: 250n,
      })),
    ];
    await expectTrends(withLate);

    const again = await archiveRowsBefore(gw.owner, new Date(CUT));
    expect(again.find((m) => m.relation === 'transactions')?.moved).toBe(3);
    // The late lines went into compressed chunks, which are compressed again.
    expect(await compressArchive(gw.owner)).toBeGreaterThan(0);
    expect(await compressArchive(gw.owner)).toBe(0);
    expect(await count('archive.transactions')).toBe(
      withLate.filter((r) => r.time < BOUNDARY).length,
    );
    await expectTrends(withLate);
  });

  it('refuses the gateway role any direct read of the archive', async () => {
    await asGateway(gw.owner, { 'app.customer_id': a.customerId }, async (query) => {
      await expect(query('SELECT count(*) FROM archive.transactions')).rejects.toThrow(
        /permission denied for schema archive/,
      );
    });
    await asGateway(gw.owner, { 'app.customer_id': b.customerId }, async (query) => {
      const archived = archivedSaleOf(a.customerId);
      const probe = await query(
        'SELECT * FROM app.archived_sales(ARRAY[$1]::uuid[], ARRAY[$2]::timestamptz[])',
        [archived.transactionId, new Date(archived.time)],
      );
      expect(probe).toEqual([]);
      const lines = await query<{ n: string }>(
        'SELECT count(*) AS n FROM sale_lines WHERE customer_id <> $1',
        [b.customerId],
      );
      expect(lines[0]?.n).toBe('0');
    });
  });

  it('reverts: the down migration returns every archived row to the hot tables', async () => {
    const expected = await everything();
    const total = (await count('transactions')) + (await count('archive.transactions'));
    // The archive migration (0004) and every one applied after it, newest first.
    const { rows: since } = await gw.owner.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM shelfops_migrations WHERE version >= 4',
    );
    await migrateDown(gw.owner, { timescaledb: 'on', count: since[0]?.n ?? 1 });
    expect(await count('transactions')).toBe(total);
    expect(await count('inventory_levels')).toBe(snapshots.length);
    // The continuous aggregates were recomputed over the returned rows.
    const { rows: sums } = await gw.owner.query<{ raw: string; daily: string }>(
      `SELECT (SELECT sum(revenue) FROM transactions)::text AS raw,
              (SELECT sum(revenue) FROM rollup.sales_daily)::text AS daily`,
    );
    expect(sums[0]?.daily).toBe(sums[0]?.raw);
    await migrateUp(gw.owner, { timescaledb: 'on' });
    // Reverting 0017 drops the unit cost each line kept (nothing can hold it without 0017):
    // every other measure comes back exactly.
    expect(withoutCosts(await everything())).toEqual(withoutCosts(expected));
  });
});

/** `value` without the measures that rest on the lines' unit costs, at any depth. */
function withoutCosts(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutCosts);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !['cost', 'grossMargin', 'marginRate'].includes(key))
      .map(([key, v]) => [key, withoutCosts(v)]),
  );
}

describe.each(TIMESCALE_KINDS)('archive maintenance on %s', (kind) => {
  it('archives and compresses rows older than COMPRESS_AFTER, and drops archived ones past RETENTION', async () => {
    const gw = await startTestGateway(kind, {
      COMPRESS_AFTER: '14 days',
      RETENTION: '50 days',
    });
    try {
      const t = salesTenant(0xd, 'Tenant D', 2);
      await insertTenants(gw.owner, [t]);
      const now = Date.now();
      const sale = (n: number, ageDays: number): SaleRow => ({
        customerId: t.customerId,
        transactionId: uuid(0xd0, n),
        time: now - ageDays * DAY,
        storeId: uuid(1, 1),
        productId: uuid(2, 1),
        quantity: 1,
        priceCents: 100n,
      });
      const sales = [sale(1, 60), sale(2, 40), sale(3, 3), sale(4, 1)];
      await insertSales(gw.owner, sales);
      await gw.database.runMaintenance();
      const horizon = Math.floor((now - 14 * DAY) / WEEK) * WEEK;
      const { rows: archived } = await gw.owner.query<{ n: string }>(
        'SELECT count(*) AS n FROM archive.transactions',
      );
      // The 60-day-old line is past retention: its archive chunk is dropped.
      const kept = sales.filter((s) => s.time >= now - 50 * DAY);
      expect(Number(archived[0]?.n)).toBe(kept.filter((s) => s.time < horizon).length);
      const stats = await archiveStats(gw.owner);
      const tx = stats.find((s) => s.relation === 'archive.transactions');
      expect(tx?.compressedChunks).toBe(tx?.chunks);

      const res = await gw.graphql<{ salesTrend: { units: number }[] }>(
        `query($r: TimeRange!) { salesTrend(range: $r, granularity: MONTH) { units } }`,
        { r: { from: new Date(now - 45 * DAY).toISOString(), to: new Date(now).toISOString() } },
        await gw.token(t.customerId),
      );
      expect(res.errors).toBeUndefined();
      expect(res.data?.salesTrend.reduce((n, b) => n + b.units, 0)).toBe(kept.length);
    } finally {
      await gw.close();
    }
  });

  it('registers one TimescaleDB job with the configured age, none when off; the job archives', async () => {
    const gw = await startTestGateway(kind);
    try {
      const jobs = async () =>
        (
          await gw.owner.query<{ config: { keep: string } }>(
            `SELECT config FROM timescaledb_information.jobs
             WHERE proc_schema = 'archive' AND proc_name = 'run_job'`,
          )
        ).rows;
      await ensureArchiveJob(gw.owner, '30 days');
      await ensureArchiveJob(gw.owner, '60 days');
      expect(await jobs()).toEqual([{ config: { keep: '60 days' } }]);
      await ensureArchiveJob(gw.owner, null);
      expect(await jobs()).toEqual([]);

      // What the job runner calls: a week per transaction up to the configured age.
      const t = salesTenant(0xe, 'Tenant E', 1);
      await insertTenants(gw.owner, [t]);
      const now = Date.now();
      const sales = [90, 61, 45, 20, 2].map((age, n) => ({
        customerId: t.customerId,
        transactionId: uuid(0xe0, n + 1),
        time: now - age * DAY,
        storeId: uuid(1, 1),
        productId: uuid(2, 1),
        quantity: 1,
        priceCents: 100n,
      }));
      await insertSales(gw.owner, sales);
      await gw.owner.query(`CALL archive.run_job(0, '{"keep": "30 days"}')`);
      const horizon = Math.floor((now - 30 * DAY) / WEEK) * WEEK;
      const { rows: archived } = await gw.owner.query<{ n: string }>(
        'SELECT count(*) AS n FROM archive.transactions',
      );
      expect(Number(archived[0]?.n)).toBe(sales.filter((s) => s.time < horizon).length);
    } finally {
      await gw.close();
    }
  });

  it.runIf(kind === 'timescale')(
    'leaves plain PostgreSQL unarchived: the same views read the hot tables',
    async () => {
      const gw = await startTestGateway('postgres', { COMPRESS_AFTER: '7 days' });
      try {
        await gw.database.runMaintenance();
        const { rows: schemas } = await gw.owner.query(
          `SELECT FROM pg_namespace WHERE nspname = 'archive'`,
        );
        expect(schemas).toEqual([]);
        const { rows: views } = await gw.owner.query<{ name: string }>(
          `SELECT table_name AS name FROM information_schema.views
         WHERE table_schema = 'public' AND table_name IN ('sale_lines', 'inventory_snapshots')
         ORDER BY 1`,
        );
        expect(views.map((v) => v.name)).toEqual(['inventory_snapshots', 'sale_lines']);
      } finally {
        await gw.close();
      }
    },
  );
});
