import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFile, type ImportOptions } from '../src/import/import-file.js';
import { loadMapping, localToInstant } from '../src/import/mapping.js';
import { BACKENDS, CLUSTER } from './support/backends.js';
import { insertTenant, uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { runImportCommand } from './support/import-command.js';
import { centsText } from './support/sales-data.js';

const SAMPLE = join(import.meta.dirname, '../examples/import/online-retail-sample.csv');
const MAPPING = join(import.meta.dirname, '../examples/import/online-retail.json');

interface CsvLine {
  sku: string;
  month: string;
  quantity: number;
  cents: bigint;
}

/** The sample read independently of the importer: RFC 4180 fields, month-first dates, GMT. */
async function sampleLines(): Promise<CsvLine[]> {
  const text = await readFile(SAMPLE, 'utf8');
  const rows: string[][] = [];
  let field = '';
  let row: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ';') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field.replace(/\r$/, ''));
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  const [header, ...data] = rows;
  const col = (name: string) => header?.indexOf(name) ?? -1;
  return data.map((r) => {
    const [m = '', , y = ''] = (r[col('InvoiceDate')] ?? '').split(' ')[0]?.split('/') ?? [];
    const year = y.length === 2 ? `20${y}` : y;
    const [units = '0', frac = ''] = (r[col('UnitPrice')] ?? '0').split('.');
    return {
      sku: r[col('StockCode')] ?? '',
      month: `${year}-${m.padStart(2, '0')}`,
      quantity: Number(r[col('Quantity')]),
      cents: BigInt(units) * 100n + BigInt(frac.padEnd(2, '0') || '0'),
    };
  });
}

// The cluster gives the same answers as plain PostgreSQL.
const KINDS = [...BACKENDS, ...CLUSTER];

describe.each(KINDS)('history import of the UCI Online Retail sample on %s', (kind) => {
  let gw: TestGateway;
  let dir: string;
  let lines: CsvLine[];
  const tenant = uuid(0x1e, 0);
  const options = async (over: Partial<ImportOptions> = {}): Promise<ImportOptions> => ({
    kind: 'sales',
    file: SAMPLE,
    tenantId: tenant,
    mapping: await loadMapping(MAPPING),
    pool: gw.owner,
    backend: gw.database.backend,
    retention: '30 years',
    batchSize: 5000,
    refusedFile: join(dir, 'refused.tsv'),
    ...over,
  });

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    dir = await mkdtemp(join(tmpdir(), 'shelfops-import-'));
    lines = await sampleLines();
    await insertTenant(gw.owner, {
      customerId: tenant,
      name: 'Online Retail',
      stores: [],
      products: [],
    });
  });
  afterAll(async () => {
    await gw?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('imports every line, creating stores and products; monthly totals and top products equal the CSV sums', async () => {
    expect(lines).toHaveLength(5000);
    const first = await importFile(await options());
    expect(first).toMatchObject({ lines: 5000, accepted: 5000, duplicates: 0, refused: 0 });
    const token = await gw.token(tenant, 'analyst');

    const months = new Map<string, { units: number; cents: bigint }>();
    for (const l of lines) {
      const m = months.get(l.month) ?? { units: 0, cents: 0n };
      m.units += l.quantity;
      m.cents += BigInt(l.quantity) * l.cents;
      months.set(l.month, m);
    }
    const trend = await gw.graphql<{
      salesTrend: { bucket: string; units: number; revenue: string; transactions: number }[];
    }>(
      `{ salesTrend(range: {from: "2010-12-01T00:00:00Z", to: "2011-03-01T00:00:00Z"}, granularity: MONTH,
                    timeZone: "Europe/London") { bucket units revenue } }`,
      {},
      token,
    );
    expect(trend.errors).toBeUndefined();
    expect(trend.data?.salesTrend).toEqual(
      [...months]
        .sort(([x], [y]) => (x < y ? -1 : 1))
        .map(([month, v]) => ({
          bucket: `${month}-01T00:00:00.000Z`,
          units: v.units,
          revenue: centsText(v.cents),
        })),
    );

    const bySku = new Map<string, { units: number; cents: bigint }>();
    for (const l of lines) {
      const s = bySku.get(l.sku) ?? { units: 0, cents: 0n };
      s.units += l.quantity;
      s.cents += BigInt(l.quantity) * l.cents;
      bySku.set(l.sku, s);
    }
    const { rows: ids } = await gw.owner.query<{ sku: string; id: string }>(
      'SELECT sku, id FROM products WHERE customer_id = $1',
      [tenant],
    );
    expect(ids).toHaveLength(bySku.size);
    const idOf = new Map(ids.map((r) => [r.sku, r.id]));
    const top = await gw.graphql<{ topProducts: unknown[] }>(
      `{ topProducts(range: {from: "2010-12-01T00:00:00Z", to: "2011-03-01T00:00:00Z"}, limit: 10) {
           product { sku } units revenue } }`,
      {},
      token,
    );
    expect(top.data?.topProducts).toEqual(
      [...bySku]
        .sort(
          ([a, x], [b, y]) =>
            y.units - x.units || ((idOf.get(a) ?? '') < (idOf.get(b) ?? '') ? -1 : 1),
        )
        .slice(0, 10)
        .map(([sku, v]) => ({ product: { sku }, units: v.units, revenue: centsText(v.cents) })),
    );
    const { rows: stores } = await gw.owner.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM stores WHERE customer_id = $1',
      [tenant],
    );
    expect(Number(stores[0]?.n)).toBe(28);
  });

  it('answers a monthly trend per product with gaps filled when the rows fit, and refuses a weekly one that does not', async () => {
    const token = await gw.token(tenant, 'analyst');
    const MONTHS = ['2010-12', '2011-01', '2011-02'];
    const cells = new Map<string, { units: number; cents: bigint }>();
    for (const l of lines) {
      const cell = cells.get(`${l.sku}|${l.month}`) ?? { units: 0, cents: 0n };
      cell.units += l.quantity;
      cell.cents += BigInt(l.quantity) * l.cents;
      cells.set(`${l.sku}|${l.month}`, cell);
    }
    const skus = [...new Set(lines.map((l) => l.sku))].sort();
    // 3 months × 1682 products = 5046 rows, under the 10000 an answer may hold.
    expect(skus.length * MONTHS.length).toBeLessThanOrEqual(10_000);
    const trend = (granularity: string) =>
      gw.graphql<{
        salesTrend: { bucket: string; product: { sku: string }; units: number; revenue: string }[];
      }>(
        `{ salesTrend(range: {from: "2010-12-01T00:00:00Z", to: "2011-03-01T00:00:00Z"},
                      granularity: ${granularity}, groupBy: [PRODUCT], fillGaps: true) {
             bucket product { sku } units revenue } }`,
        {},
        token,
      );
    const monthly = await trend('MONTH');
    expect(monthly.errors).toBeUndefined();
    const answered = [...(monthly.data?.salesTrend ?? [])].sort((x, y) =>
      x.product.sku === y.product.sku
        ? x.bucket.localeCompare(y.bucket)
        : x.product.sku < y.product.sku
          ? -1
          : 1,
    );
    expect(answered).toEqual(
      skus.flatMap((sku) =>
        MONTHS.map((month) => {
          const cell = cells.get(`${sku}|${month}`) ?? { units: 0, cents: 0n };
          return {
            bucket: `${month}-01T00:00:00.000Z`,
            product: { sku },
            units: cell.units,
            revenue: centsText(cell.cents),
          };
        }),
      ),
    );
    // 13 ISO weeks touch the range: 13 × 1682 rows are more than an answer may hold.
    const weekly = await trend('WEEK');
    expect(weekly.errors?.[0]?.extensions?.code).toBe('TREND_TOO_LARGE');
  });

  it('adds nothing when run again', async () => {
    const again = await importFile(await options({ batchSize: 1000 }));
    expect(again).toMatchObject({ lines: 5000, accepted: 0, duplicates: 5000, refused: 0 });
    const { rows } = await gw.owner.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM transactions WHERE customer_id = $1',
      [tenant],
    );
    expect(rows[0]?.n).toBe('5000');
  });

  it('refuses every line under the default retention, saying why, and stores none', async () => {
    const other = uuid(0x1f, 0);
    await insertTenant(gw.owner, { customerId: other, name: 'Late', stores: [], products: [] });
    const refusedFile = join(dir, 'refused-default.tsv');
    const summary = await importFile(
      await options({ tenantId: other, retention: '2 years', refusedFile }),
    );
    expect(summary).toMatchObject({ lines: 5000, accepted: 0, refused: 5000 });
    expect(summary.reasons).toHaveLength(1);
    expect(summary.reasons[0]?.example).toMatch(
      /^line 2: time 2010-12-06T10:08:00.000Z is older than the retention horizon .* \(the tenant keeps "2 years"\)/,
    );
    const refused = (await readFile(refusedFile, 'utf8')).trim().split('\n');
    expect(refused).toHaveLength(5001);
    expect(refused[1]).toMatch(
      /^2\ttime 2010-12-06T10:08:00.000Z is older than the retention horizon/,
    );
    const { rows } = await gw.owner.query('SELECT 1 FROM transactions WHERE customer_id = $1', [
      other,
    ]);
    expect(rows).toEqual([]);
  });

  it.runIf(kind === 'postgres')(
    'runs as npm run import, with progress (its final line once) and a summary that names the tenant’s retention',
    async () => {
      const other = uuid(0x20, 0);
      await insertTenant(gw.owner, { customerId: other, name: 'CLI', stores: [], products: [] });
      const { stdout, stderr } = await runImportCommand(gw, [
        'sales',
        SAMPLE,
        '--tenant',
        other,
        '--mapping',
        MAPPING,
        '--refused',
        join(dir, 'cli.tsv'),
      ]);
      expect(stderr).toMatch(/5000 lines, \d+ lines\/s, 100 % done, ETA 0 s/);
      expect(stderr.match(/^5000 lines, .* done/gm)).toHaveLength(1);
      expect(stdout).toMatch(
        /^5000 lines read in [\d.]+ s: 0 stored, 0 already stored, 5000 refused$/m,
      );
      expect(stdout).toMatch(/5000 refused, e\.g\. line 2: .*the tenant keeps "2 years"/);
    },
  );
});

describe('local times of an import file', () => {
  const wallOf = (zone: string, t: number) => {
    const p = Object.fromEntries(
      new Intl.DateTimeFormat('en-GB', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
      })
        .formatToParts(new Date(t))
        .map((x) => [x.type, Number(x.value)]),
    ) as Record<string, number>;
    return Date.UTC(p.year ?? 0, (p.month ?? 1) - 1, p.day ?? 1, p.hour ?? 0, p.minute ?? 0);
  };

  it('map every wall-clock time around the transitions to its instant, the earlier of a repeated hour', () => {
    const zones = ['Europe/London', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'];
    for (const zone of zones) {
      for (const day of [
        '2024-03-10',
        '2024-03-31',
        '2024-04-07',
        '2024-10-06',
        '2024-10-27',
        '2024-11-03',
      ]) {
        const midnight = Date.parse(`${day}T00:00:00Z`);
        // Every offset the zone uses within two days of the transition day.
        const offsets = [
          ...new Set(
            Array.from({ length: 240 }, (_, i) => midnight + (i - 96) * 1_800_000).map(
              (t) => wallOf(zone, t) - t,
            ),
          ),
        ];
        for (let wall = midnight - 86_400_000; wall < midnight + 2 * 86_400_000; wall += 600_000) {
          const d = new Date(wall);
          const instant = localToInstant(
            zone,
            d.getUTCFullYear(),
            d.getUTCMonth() + 1,
            d.getUTCDate(),
            d.getUTCHours(),
            d.getUTCMinutes(),
            0,
          ).getTime();
          // Wall times skipped by a transition have no instant of their own; every other one
          // reads back, and no earlier instant shows the same wall time.
          const candidates = offsets
            .map((offset) => wall - offset)
            .filter((t) => wallOf(zone, t) === wall)
            .sort((x, y) => x - y);
          if (candidates.length === 0) continue;
          expect(instant, `${zone} ${d.toISOString()}`).toBe(candidates[0]);
        }
      }
    }
  });
});
