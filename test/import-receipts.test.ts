import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFile } from '../src/import/import-file.js';
import { loadMapping } from '../src/import/mapping.js';
import { BACKENDS, CLUSTER } from './support/backends.js';
import { insertTenant, uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import { ratioText } from './support/sales-data.js';

// The real UCI sample the project keeps beside its own copy (the same bytes).
const SAMPLE = '/work/shared/data/online-retail-sample.csv';
const MAPPING = join(import.meta.dirname, '../examples/import/online-retail.json');
// Its three months: every line falls in GMT, so UTC months are London's.
const MONTHS = [
  { from: '2010-12-01T00:00:00Z', to: '2011-01-01T00:00:00Z' },
  { from: '2011-01-01T00:00:00Z', to: '2011-02-01T00:00:00Z' },
  { from: '2011-02-01T00:00:00Z', to: '2011-03-01T00:00:00Z' },
];

interface Line {
  invoice: string;
  sku: string;
  country: string;
  month: number;
  quantity: number;
  cents: bigint;
}

/** The CSV's lines, read with a CSV parser and plain string arithmetic (not the importer). */
async function csvLines(): Promise<Line[]> {
  const records = parse(await readFile(SAMPLE, 'utf8'), {
    delimiter: ';',
    columns: true,
  }) as Record<string, string>[];
  return records.map((r) => {
    const [m = '', , y = ''] = (r.InvoiceDate ?? '').split(' ')[0]?.split('/') ?? [];
    const year = Number(y.length === 2 ? `20${y}` : y);
    const [units = '0', frac = ''] = (r.UnitPrice ?? '0').split('.');
    return {
      invoice: r.InvoiceNo ?? '',
      sku: r.StockCode ?? '',
      country: r.Country ?? '',
      month: (year - 2010) * 12 + Number(m) - 12,
      quantity: Number(r.Quantity),
      cents: BigInt(units) * 100n + BigInt(frac.padEnd(2, '0') || '0'),
    };
  });
}

// The cluster gives the same answers as plain PostgreSQL.
const KINDS = [...BACKENDS, ...CLUSTER];

describe.each(KINDS)('receipts of the real UCI sample through the import on %s', (kind) => {
  let gw: TestGateway;
  let dir: string;
  let lines: Line[];
  let token = '';
  const tenant = uuid(0x1f, 0);
  const importCsv = async (file: string, refused: string) =>
    importFile({
      kind: 'sales',
      file,
      tenantId: tenant,
      mapping: await loadMapping(MAPPING),
      pool: gw.owner,
      backend: gw.database.backend,
      retention: '30 years',
      batchSize: 5000,
      refusedFile: join(dir, refused),
    });

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    dir = await mkdtemp(join(tmpdir(), 'shelfops-receipts-'));
    lines = await csvLines();
    await insertTenant(gw.owner, {
      customerId: tenant,
      name: 'Online Retail',
      stores: [],
      products: [],
    });
    const summary = await importCsv(SAMPLE, 'refused.tsv');
    expect(summary).toMatchObject({ lines: 5000, accepted: 5000, refused: 0 });
    token = await gw.token(tenant, 'analyst');
  });
  afterAll(async () => {
    await gw?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('has the 1 807 invoices of the sample as its receipts', async () => {
    const res = await gw.graphql<{ receiptSummary: { receipts: number }[] }>(
      `{ receiptSummary(range: {from: "2010-12-01T00:00:00Z", to: "2011-03-01T00:00:00Z"}) { receipts } }`,
      {},
      token,
    );
    expect(res.data?.receiptSummary).toEqual([{ receipts: 1807 }]);
    expect(new Set(lines.map((l) => l.invoice)).size).toBe(1807);
  });

  it('answers each month’s basket figures per country as sums over the CSV', async () => {
    for (const [month, range] of MONTHS.entries()) {
      const mine = lines.filter((l) => l.month === month);
      const countries = [...new Set(mine.map((l) => l.country))];
      const expected = countries.map((country) => {
        const own = mine.filter((l) => l.country === country);
        const baskets = new Set(own.filter((l) => l.quantity > 0).map((l) => l.invoice)).size;
        const units = own.reduce((s, l) => s + BigInt(l.quantity), 0n);
        const sold = own.filter((l) => l.quantity > 0).reduce((s, l) => s + l.quantity, 0);
        const cents = own.reduce((s, l) => s + BigInt(l.quantity) * l.cents, 0n);
        const n = BigInt(baskets);
        return {
          store: { code: country },
          receipts: baskets,
          averageReceiptValue: n === 0n ? null : ratioText(cents, n * 100n, 6),
          unitsPerReceipt: n === 0n ? null : ratioText(BigInt(sold), n, 6),
          averageUnitPrice: units === 0n ? null : ratioText(cents, units * 100n, 6),
        };
      });
      const res = await gw.graphql<{ receiptSummary: { store: { code: string } }[] }>(
        `query ($range: TimeRange!) { receiptSummary(range: $range, groupBy: STORE) {
           store { code } receipts averageReceiptValue unitsPerReceipt averageUnitPrice } }`,
        { range },
        token,
      );
      expect(res.errors).toBeUndefined();
      const byCode = (a: { store: { code: string } }, b: { store: { code: string } }) =>
        a.store.code < b.store.code ? -1 : 1;
      expect([...(res.data?.receiptSummary ?? [])].sort(byCode)).toEqual(expected.sort(byCode));
    }
  });

  it('answers the sizes of the receipts and what sells with the most frequent product as the CSV says', async () => {
    const range = { from: '2010-12-01T00:00:00Z', to: '2011-03-01T00:00:00Z' };
    const invoices = new Map<string, { units: number; skus: Set<string> }>();
    for (const l of lines) {
      if (l.quantity <= 0) continue;
      const key = `${l.country}|${l.invoice}`;
      const inv = invoices.get(key) ?? { units: 0, skus: new Set<string>() };
      inv.units += l.quantity;
      inv.skus.add(l.sku);
      invoices.set(key, inv);
    }
    const sizes = new Map<number, number>();
    for (const inv of invoices.values()) {
      const key = Math.min(inv.units, 51);
      sizes.set(key, (sizes.get(key) ?? 0) + 1);
    }
    const res = await gw.graphql<{ receiptSizes: { units: number; receipts: number }[] }>(
      `query ($range: TimeRange!) { receiptSizes(range: $range, maxUnits: 50) { units receipts } }`,
      { range },
      token,
    );
    expect(res.data?.receiptSizes).toEqual(
      [...sizes.entries()]
        .sort(([a], [b]) => a - b)
        .map(([units, receipts]) => ({ units, receipts })),
    );

    const holding = new Map<string, number>();
    for (const inv of invoices.values()) {
      for (const sku of inv.skus) holding.set(sku, (holding.get(sku) ?? 0) + 1);
    }
    const [anchor = ''] = [...holding.entries()].sort(
      ([a, x], [b, y]) => y - x || a.localeCompare(b),
    )[0] ?? [''];
    const withAnchor = [...invoices.values()].filter((inv) => inv.skus.has(anchor));
    const together = new Map<string, number>();
    for (const inv of withAnchor) {
      for (const sku of inv.skus)
        if (sku !== anchor) together.set(sku, (together.get(sku) ?? 0) + 1);
    }
    const n = BigInt(invoices.size);
    const a = BigInt(withAnchor.length);
    const expected = [...together.entries()]
      .sort(([p, x], [q, y]) => y - x || p.localeCompare(q))
      .slice(0, 10)
      .map(([sku, both]) => {
        const b = BigInt(holding.get(sku) ?? 0);
        return {
          product: { sku },
          receipts: both,
          productReceipts: Number(b),
          support: ratioText(BigInt(both), n, 6),
          confidence: ratioText(BigInt(both), a, 6),
          lift: ratioText(BigInt(both) * n, a * b, 6),
        };
      });
    const bought = await gw.graphql<{ boughtTogether: unknown }>(
      `query ($range: TimeRange!, $sku: String!) { boughtTogether(range: $range, sku: $sku) {
         receipts productReceipts
         items { product { sku } receipts productReceipts support confidence lift } } }`,
      { range, sku: anchor },
      token,
    );
    expect(bought.errors).toBeUndefined();
    expect(bought.data?.boughtTogether).toEqual({
      receipts: invoices.size,
      productReceipts: withAnchor.length,
      items: expected,
    });
  });

  it('makes a cancellation invoice a receipt of its own, holding only a return: no basket', async () => {
    const file = join(dir, 'cancellation.csv');
    await writeFile(
      file,
      [
        'X.1;X;InvoiceNo;StockCode;Description;Quantity;InvoiceDate;UnitPrice;CustomerID;Country',
        '1;1;900001;85123A;HEART T-LIGHT HOLDER;4;01/10/2012 10:00;2.55;1;Testland',
        '2;2;900001;71053;WHITE METAL LANTERN;2;01/10/2012 10:00;3.39;1;Testland',
        '3;3;C900001;85123A;HEART T-LIGHT HOLDER;1;01/10/2012 11:30;2.55;1;Testland',
      ].join('\r\n') + '\r\n',
    );
    const summary = await importCsv(file, 'refused-cancellation.tsv');
    expect(summary).toMatchObject({ lines: 3, accepted: 3, refused: 0 });
    const res = await gw.graphql<{ receiptSummary: unknown }>(
      `{ receiptSummary(range: {from: "2012-01-10T00:00:00Z", to: "2012-01-11T00:00:00Z"}) {
         receipts averageReceiptValue unitsPerReceipt averageUnitPrice } }`,
      {},
      token,
    );
    // One basket (900001); the cancellation's -2.55 counts in the receipts' net revenue.
    expect(res.data?.receiptSummary).toEqual([
      {
        receipts: 1,
        averageReceiptValue: ratioText(4n * 255n + 2n * 339n - 255n, 100n, 6),
        unitsPerReceipt: '6.000000',
        averageUnitPrice: ratioText(4n * 255n + 2n * 339n - 255n, 5n * 100n, 6),
      },
    ]);
  });
});
