import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveRowsBefore } from '../src/db/archive.js';
import { refreshSalesRollups } from '../src/db/rollups.js';
import { BACKENDS } from './support/backends.js';
import { uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import {
  basketsOf,
  basketUnits,
  generateReceipts,
  insertReceiptLines,
  receiptOracle,
  receiptTenant,
  recordLines,
  type ReceiptLine,
} from './support/receipt-data.js';
import { retentionHorizon } from '../src/sales/retention.js';
import {
  expectedComparedTrend,
  expectedRanking,
  expectedTrend,
  expectedWindowTrend,
  insertTenants,
  markOpeners,
  ratioText,
  type TrendQuestion,
} from './support/sales-data.js';
import { askTrend } from './support/sales-trend.js';

const BASKETS = ['receipts', 'averageReceiptValue', 'unitsPerReceipt', 'averageUnitPrice'];

/** An answer row of one of several shapes. */
type Row = any;

// Berlin and New York change their clocks inside both periods.
const RANGES = [
  // Berlin's local 29 March 2026 (23 hours) and 25 October 2026 (25 hours), as instants.
  { from: '2026-03-28T23:00:00Z', to: '2026-03-29T22:00:00Z' },
  { from: '2026-10-24T22:00:00Z', to: '2026-10-25T23:00:00Z' },
  // Unaligned edges that cut receipts, over both periods.
  { from: '2026-03-21T10:17:03Z', to: '2026-11-01T06:00:00Z' },
];
// Berlin's autumn change, with a late October week before it to compare with.
const AUTUMN = { from: '2026-10-24T22:00:00Z', to: '2026-11-01T06:00:00Z' };
const WIDE = { from: '2026-03-21T10:17:03Z', to: '2026-11-01T06:00:00Z' };

const SUMMARY = `query ($range: TimeRange!, $groupBy: ReceiptGroupBy, $storeIds: [UUID!]) {
  receiptSummary(range: $range, groupBy: $groupBy, storeIds: $storeIds) {
    store { id } product { id } category
    receipts averageReceiptValue unitsPerReceipt averageUnitPrice
  }
}`;

const TOGETHER = `query ($range: TimeRange!, $sku: String, $productId: UUID, $first: Int, $storeIds: [UUID!]) {
  boughtTogether(range: $range, sku: $sku, productId: $productId, first: $first, storeIds: $storeIds) {
    receipts productReceipts
    items { product { id } receipts productReceipts support confidence lift }
  }
}`;

const SIZES = `query ($range: TimeRange!, $maxUnits: Int) {
  receiptSizes(range: $range, maxUnits: $maxUnits) { units orMore receipts totalUnits share }
}`;

interface SummaryRow {
  store: { id: string } | null;
  product: { id: string } | null;
  category: string | null;
  receipts: number;
  averageReceiptValue: string | null;
  unitsPerReceipt: string | null;
  averageUnitPrice: string | null;
}

function inRange(lines: readonly ReceiptLine[], range: { from: string; to: string }) {
  const from = Date.parse(range.from);
  const to = Date.parse(range.to);
  return lines.filter((l) => l.time >= from && l.time < to);
}

function expectedTogether(
  lines: readonly ReceiptLine[],
  anchor: string,
  first: number,
  skuOf: (id: string) => string,
) {
  const baskets = [...basketsOf(lines).values()];
  const n = BigInt(baskets.length);
  const held = baskets.filter((b) => b.has(anchor));
  const a = BigInt(held.length);
  const both = new Map<string, number>();
  for (const b of held) for (const p of b) if (p !== anchor) both.set(p, (both.get(p) ?? 0) + 1);
  const items = [...both.entries()]
    .sort(([p, x], [q, y]) => y - x || skuOf(p).localeCompare(skuOf(q)))
    .slice(0, first)
    .map(([p, x]) => {
      const b = BigInt(baskets.filter((s) => s.has(p)).length);
      const k = BigInt(x);
      return {
        product: { id: p },
        receipts: x,
        productReceipts: Number(b),
        support: ratioText(k, n, 6),
        confidence: ratioText(k, a, 6),
        lift: ratioText(k * n, a * b, 6),
      };
    });
  return { receipts: Number(n), productReceipts: Number(a), items };
}

function expectedSizes(lines: readonly ReceiptLine[], maxUnits: number) {
  const rows = new Map<number, { receipts: number; units: number }>();
  const sizes = [...basketUnits(lines).values()];
  for (const s of sizes) {
    const key = Math.min(s, maxUnits + 1);
    const row = rows.get(key) ?? { receipts: 0, units: 0 };
    row.receipts += 1;
    row.units += s;
    rows.set(key, row);
  }
  return [...rows.entries()]
    .sort(([a], [b]) => a - b)
    .map(([units, r]) => ({
      units,
      orMore: units > maxUnits,
      receipts: r.receipts,
      totalUnits: r.units,
      share: ratioText(BigInt(r.receipts), BigInt(sizes.length), 6),
    }));
}

describe.each(BACKENDS)('receipts and baskets on %s', (kind) => {
  let gw: TestGateway;
  let token = '';
  const a = receiptTenant(0x40, 3, 10);
  const b = receiptTenant(0x50, 2, 10);
  const lines: ReceiptLine[] = [
    ...generateReceipts(a, 0x41, '2026-03-20T00:00:00Z', 20, 30),
    ...generateReceipts(a, 0x42, '2026-10-20T00:00:00Z', 14, 30),
  ];
  const other = generateReceipts(b, 0x51, '2026-03-20T00:00:00Z', 20, 30);
  // Recorded in this order: each receipt opens at its first recorded sale line.
  markOpeners([...lines, ...other]);
  const skuOf = (id: string) => a.products.find((p) => p.id === id)?.sku ?? id;
  const categoryOf = (id: string) => a.products.find((p) => p.id === id)?.category ?? '';

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenants(gw.owner, [a, b]);
    await insertReceiptLines(gw.owner, [...lines, ...other]);
    if (gw.database.backend === 'timescale') {
      // Spring's lines go to the compressed archive, receipts with them.
      await archiveRowsBefore(gw.owner, new Date('2026-06-01T00:00:00Z'));
    }
    await refreshSalesRollups(gw.owner, gw.database.backend, null, null);
    token = await gw.token(a.customerId);
  });
  afterAll(() => gw?.close());

  async function summary(range: { from: string; to: string }, groupBy?: string) {
    const res = await gw.graphql<{ receiptSummary: SummaryRow[] }>(
      SUMMARY,
      { range, groupBy },
      token,
    );
    expect(res.errors).toBeUndefined();
    return res.data?.receiptSummary ?? [];
  }

  function expectedSummary(range: { from: string; to: string }, groupBy?: string) {
    const kept = inRange(lines, range);
    const keyOf = (l: ReceiptLine) =>
      groupBy === 'STORE'
        ? l.storeId
        : groupBy === 'PRODUCT'
          ? l.productId
          : groupBy === 'CATEGORY'
            ? categoryOf(l.productId)
            : '';
    const groups = new Map<string, ReceiptLine[]>();
    for (const l of kept) groups.set(keyOf(l), [...(groups.get(keyOf(l)) ?? []), l]);
    return [...groups.entries()]
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
      .map(([key, group]) => ({
        store: groupBy === 'STORE' ? { id: key } : null,
        product: groupBy === 'PRODUCT' ? { id: key } : null,
        category: groupBy === 'CATEGORY' ? key : null,
        ...receiptOracle(
          group,
          groupBy === 'CATEGORY' ? 'distinct' : groupBy === 'PRODUCT' ? 'products' : 'receipts',
        ),
      }));
  }

  it('answers the receipt measures overall and per store, product and category, exactly', async () => {
    for (const range of RANGES) {
      for (const groupBy of [undefined, 'STORE', 'PRODUCT', 'CATEGORY']) {
        expect(await summary(range, groupBy), `${range.from} ${groupBy}`).toEqual(
          expectedSummary(range, groupBy),
        );
      }
    }
  });

  it('counts a receipt holding only returns in no basket, and receipts by product per product', async () => {
    const range = WIDE;
    const [all] = await summary(range);
    const byProduct = await summary(range, 'PRODUCT');
    const kept = inRange(lines, range);
    const returnOnly = new Set(
      kept.filter((l) => l.receiptId !== null).map((l) => `${l.storeId}|${l.receiptId}`),
    );
    for (const key of basketsOf(kept).keys()) returnOnly.delete(key);
    expect(returnOnly.size).toBeGreaterThan(0);
    expect(all?.receipts).toBe(kept.filter((l) => l.opensReceipt).length);
    // A basket of several products counts once for each of them.
    const summed = byProduct.reduce((s, r) => s + r.receipts, 0);
    expect(summed).toBeGreaterThan(all?.receipts ?? 0);
  });

  it('lists the products bought together with support, confidence and lift, exactly', async () => {
    for (const range of RANGES) {
      for (const anchor of [a.products[0], a.products[3]]) {
        if (!anchor) continue;
        const res = await gw.graphql<{ boughtTogether: unknown }>(
          TOGETHER,
          { range, sku: anchor.sku, first: 5 },
          token,
        );
        expect(res.errors).toBeUndefined();
        expect(res.data?.boughtTogether).toEqual(
          expectedTogether(inRange(lines, range), anchor.id, 5, skuOf),
        );
      }
    }
    const store = a.stores[1]?.id ?? '';
    const range = WIDE;
    const res = await gw.graphql<{ boughtTogether: unknown }>(
      TOGETHER,
      { range, productId: a.products[2]?.id, first: 100, storeIds: [store] },
      token,
    );
    expect(res.data?.boughtTogether).toEqual(
      expectedTogether(
        inRange(lines, range).filter((l) => l.storeId === store),
        a.products[2]?.id ?? '',
        100,
        skuOf,
      ),
    );
  });

  it('gives the distribution of units per receipt, exactly', async () => {
    for (const range of RANGES) {
      for (const maxUnits of [3, 20]) {
        const res = await gw.graphql<{ receiptSizes: unknown }>(SIZES, { range, maxUnits }, token);
        expect(res.errors).toBeUndefined();
        expect(res.data?.receiptSizes).toEqual(expectedSizes(inRange(lines, range), maxUnits));
      }
    }
  });

  it('counts late lines recorded with their receipt at once', async () => {
    const admin = await gw.token(a.customerId, 'admin');
    const store = a.stores[0];
    const late: ReceiptLine[] = [0, 1, 2].map((k) => ({
      customerId: a.customerId,
      transactionId: uuid(0x4f, k + 1),
      time: Date.parse('2026-03-29T10:00:00Z') + k * 1000,
      storeId: store?.id ?? '',
      productId: a.products[k]?.id ?? '',
      quantity: k + 1,
      priceCents: 199n,
      receiptId: 'LATE-1',
    }));
    await recordLines(gw, admin, late);
    markOpeners(late, lines);
    lines.push(...late);
    const range = RANGES[0] ?? { from: '', to: '' };
    expect(await summary(range, 'STORE')).toEqual(expectedSummary(range, 'STORE'));
    const together = await gw.graphql<{ boughtTogether: unknown }>(
      TOGETHER,
      { range, sku: a.products[0]?.sku, first: 10 },
      token,
    );
    expect(together.data?.boughtTogether).toEqual(
      expectedTogether(inRange(lines, range), a.products[0]?.id ?? '', 10, skuOf),
    );
  });

  it('keeps the receipts of archived lines', async () => {
    const { rows } = await gw.owner.query<{ n: string }>(
      gw.database.backend === 'timescale'
        ? `SELECT count(*)::text AS n FROM archive.transactions WHERE receipt_id IS NOT NULL`
        : `SELECT '1' AS n`,
    );
    expect(Number(rows[0]?.n)).toBeGreaterThan(0);
  });

  it('answers the receipt measures per bucket on every trend route, exactly, from the rollups', async () => {
    const cases: TrendQuestion[] = [];
    for (const range of [RANGES[0], RANGES[1], WIDE]) {
      if (!range) continue;
      for (const timeZone of ['UTC', 'Europe/Berlin', 'Asia/Kolkata']) {
        for (const groupBy of [[], ['STORE'], ['PRODUCT'], ['CATEGORY']] as const) {
          cases.push({ ...range, granularity: 'DAY', timeZone, groupBy: [...groupBy] });
        }
      }
      if (range !== WIDE)
        cases.push({ ...range, granularity: 'HOUR', groupBy: ['STORE'], fillGaps: true });
      cases.push({ ...range, granularity: 'DAY', productIds: [a.products[1]?.id ?? ''] });
      cases.push({
        ...range,
        granularity: 'DAY',
        productIds: a.products.slice(0, 3).map((p) => p.id),
      });
    }
    let receipts = 0;
    for (const q of cases) {
      const expected = expectedTrend(lines, a.customerId, categoryOf, q);
      expect(await askTrend(gw, token, q), JSON.stringify(q)).toEqual(expected);
      receipts += expected.reduce((n, r) => n + (r.receipts ?? 0), 0);
    }
    expect(receipts).toBeGreaterThan(0);
    // baskets { } groups the same four values.
    const res = await gw.graphql<{ salesTrend: Record<string, unknown>[] }>(
      `query ($range: TimeRange!) { salesTrend(range: $range, granularity: DAY, groupBy: [STORE]) {
         receipts averageReceiptValue unitsPerReceipt averageUnitPrice
         baskets { receipts averageReceiptValue unitsPerReceipt averageUnitPrice } } }`,
      { range: WIDE },
      token,
    );
    expect(res.errors).toBeUndefined();
    for (const { baskets, ...row } of res.data?.salesTrend ?? []) expect(baskets).toEqual(row);
  });

  it('answers receipts on Store.salesTrend and Product.salesTrend, rankings, windows and comparisons', async () => {
    const fields = BASKETS.join(' ');
    const nested = await gw.graphql<{
      stores: { edges: { node: { id: string; timeZone: string; salesTrend: Row[] } }[] };
      products: { edges: { node: { id: string; salesTrend: Row[] } }[] };
    }>(
      `query ($range: TimeRange!) {
         stores(first: 10) { edges { node { id timeZone salesTrend(range: $range, granularity: DAY) { bucket ${fields} } } } }
         products(first: 10) { edges { node { id salesTrend(range: $range, granularity: WEEK) { bucket ${fields} } } } }
       }`,
      { range: WIDE },
      token,
    );
    expect(nested.errors).toBeUndefined();
    const pick = (r: Row) => Object.fromEntries(['bucket', ...BASKETS].map((k) => [k, r[k]]));
    for (const { node } of nested.data?.stores.edges ?? []) {
      const q: TrendQuestion = {
        ...WIDE,
        granularity: 'DAY',
        timeZone: node.timeZone,
        storeIds: [node.id],
        groupBy: ['STORE'],
      };
      expect(node.salesTrend, node.id).toEqual(
        expectedTrend(lines, a.customerId, categoryOf, q).map(pick),
      );
    }
    for (const { node } of nested.data?.products.edges ?? []) {
      const q: TrendQuestion = {
        ...WIDE,
        granularity: 'WEEK',
        productIds: [node.id],
        groupBy: ['PRODUCT'],
      };
      expect(node.salesTrend, node.id).toEqual(
        expectedTrend(lines, a.customerId, categoryOf, q).map(pick),
      );
    }

    for (const dimension of ['STORE', 'PRODUCT', 'CATEGORY'] as const) {
      const ranked = await gw.graphql<{ ranking: { rows: Row[]; other: Row; total: Row } }>(
        `query ($r: TimeRange!, $d: SalesGroupBy!) {
           ranking(range: $r, dimension: $d, by: RECEIPTS, first: 2, other: true) {
             rows { ...row } other { ...row } total { ...row } } }
         fragment row on RankedSales { rank share store { id } product { id } category ${fields} }`,
        { r: WIDE, d: dimension },
        token,
      );
      expect(ranked.errors).toBeUndefined();
      const expected = expectedRanking(lines, a.customerId, categoryOf, {
        ...WIDE,
        dimension,
        by: 'receipts',
        first: 2,
      });
      const strip = (r: Row) =>
        Object.fromEntries(['rank', 'share', ...BASKETS].map((k) => [k, r[k]]));
      expect(ranked.data?.ranking.rows.map(strip), dimension).toEqual(expected.rows.map(strip));
      expect(strip(ranked.data?.ranking.other ?? {}), dimension).toEqual(strip(expected.other));
      expect(strip(ranked.data?.ranking.total ?? {}), dimension).toEqual(strip(expected.total));
    }

    for (const groupBy of [[], ['STORE'], ['PRODUCT']] as const) {
      const q: TrendQuestion = {
        ...WIDE,
        granularity: 'DAY',
        timeZone: 'Europe/Berlin',
        groupBy: [...groupBy],
      };
      const window = { rolling: 7, cumulative: true };
      const res = await gw.graphql<{ salesTrend: Row[] }>(
        `query ($range: TimeRange!, $tz: TimeZone, $groupBy: [SalesGroupBy!], $window: SalesWindow) {
           salesTrend(range: $range, granularity: DAY, timeZone: $tz, groupBy: $groupBy, window: $window) {
             bucket store { id } product { id } ${fields}
             rolling { sum { ${fields} } mean { ${fields} } } cumulative { ${fields} } } }`,
        { range: { from: q.from, to: q.to }, tz: q.timeZone, groupBy: q.groupBy, window },
        token,
      );
      expect(res.errors).toBeUndefined();
      const basketsOnly = (m: Row) => m && Object.fromEntries(BASKETS.map((k) => [k, m[k]]));
      const expected = expectedWindowTrend(lines, a.customerId, categoryOf, q, window);
      expect(
        res.data?.salesTrend.map((r) => ({
          bucket: r.bucket,
          ...basketsOnly(r),
          rolling: { sum: basketsOnly(r.rolling.sum), mean: basketsOnly(r.rolling.mean) },
          cumulative: basketsOnly(r.cumulative),
        })),
        JSON.stringify(groupBy),
      ).toEqual(
        expected.map((r) => ({
          bucket: r.bucket,
          ...basketsOnly(r),
          rolling: {
            sum: basketsOnly(r.rolling?.sum ?? null),
            mean: basketsOnly(r.rolling?.mean ?? null),
          },
          cumulative: basketsOnly(r.cumulative),
        })),
      );

      const compared = await gw.graphql<{ salesTrend: Row[] }>(
        `query ($range: TimeRange!, $tz: TimeZone, $groupBy: [SalesGroupBy!]) {
           salesTrend(range: $range, granularity: WEEK, timeZone: $tz, groupBy: $groupBy, compareTo: PREVIOUS_PERIOD) {
             bucket ${fields} compared { ${fields} } change { ${fields} } } }`,
        { range: AUTUMN, tz: q.timeZone, groupBy: q.groupBy },
        token,
      );
      expect(compared.errors).toBeUndefined();
      const cq: TrendQuestion = {
        ...AUTUMN,
        granularity: 'WEEK',
        timeZone: q.timeZone,
        groupBy: q.groupBy,
      };
      const horizon = retentionHorizon(gw.config.retention).getTime();
      const ce = expectedComparedTrend(
        lines,
        a.customerId,
        categoryOf,
        cq,
        'PREVIOUS_PERIOD',
        horizon,
      );
      expect(ce.some((r) => (r.compared?.receipts ?? 0) > 0)).toBe(true);
      expect(
        compared.data?.salesTrend.map((r) => ({
          bucket: r.bucket,
          ...basketsOnly(r),
          compared: basketsOnly(r.compared),
          change: basketsOnly(r.change),
        })),
      ).toEqual(
        ce.map((r) => ({
          bucket: r.bucket,
          ...basketsOnly(r),
          compared: basketsOnly(r.compared),
          change: basketsOnly(r.change),
        })),
      );
    }
  });

  it('takes a resend as a duplicate only on the same receipt: a line’s identity includes it', async () => {
    const admin = await gw.token(a.customerId, 'admin');
    const line: ReceiptLine = {
      customerId: a.customerId,
      transactionId: uuid(0x4e, 1),
      time: Date.parse('2026-10-26T09:00:00Z'),
      storeId: a.stores[1]?.id ?? '',
      productId: a.products[4]?.id ?? '',
      quantity: 2,
      priceCents: 310n,
      receiptId: 'IDEM-1',
    };
    const send = async (sent: ReceiptLine[]) => {
      const res = await gw.graphql<{ recordSales: { accepted: number; duplicates: number } }>(
        `mutation ($sales: [SaleInput!]!) { recordSales(sales: $sales) { accepted duplicates } }`,
        {
          sales: sent.map((l) => ({
            transactionId: l.transactionId,
            time: new Date(l.time).toISOString(),
            storeId: l.storeId,
            productId: l.productId,
            quantity: l.quantity,
            unitPrice: '3.10',
            receiptId: l.receiptId,
          })),
        },
        admin,
      );
      return res.errors
        ? { code: res.errors[0]?.extensions?.code, index: res.errors[0]?.extensions?.index }
        : res.data?.recordSales;
    };
    const bare: ReceiptLine = { ...line, transactionId: uuid(0x4e, 2), receiptId: null };
    expect(await send([line, bare])).toEqual({ accepted: 2, duplicates: 0 });
    markOpeners([line, bare], lines);
    lines.push(line, bare);
    expect(await send([line, bare])).toEqual({ accepted: 0, duplicates: 2 });
    // The same id on another receipt, or without the receipt it was sent with, is a conflict.
    expect(await send([line, { ...line, receiptId: 'IDEM-2' }])).toEqual({
      code: 'CONFLICT',
      index: 1,
    });
    expect(await send([{ ...line, receiptId: null }])).toEqual({ code: 'CONFLICT', index: 0 });
    // A line first sent without a receipt is not the same line with one.
    expect(await send([{ ...bare, receiptId: 'IDEM-1' }])).toEqual({ code: 'CONFLICT', index: 0 });
    // Nothing refused was stored: the receipt holds its one line, opened once.
    const { rows } = await gw.owner.query<{ n: string; opened: string }>(
      `SELECT count(*)::text AS n, count(*) FILTER (WHERE opens_receipt)::text AS opened
       FROM transactions WHERE customer_id = $1 AND receipt_id IN ('IDEM-1', 'IDEM-2')`,
      [a.customerId],
    );
    expect(rows[0]).toEqual({ n: '1', opened: '1' });
  });

  it('refuses shapes it cannot answer with typed errors', async () => {
    const range = RANGES[0];
    const cases: [string, Record<string, unknown>, string][] = [
      [TOGETHER, { range, sku: 'NOPE' }, 'NOT_FOUND'],
      [TOGETHER, { range }, 'BAD_USER_INPUT'],
      [TOGETHER, { range, sku: 'P-01', first: 101 }, 'BAD_USER_INPUT'],
      [SIZES, { range, maxUnits: 0 }, 'BAD_USER_INPUT'],
      [SUMMARY, { range: { from: range?.to, to: range?.from } }, 'BAD_USER_INPUT'],
    ];
    for (const [query, variables, code] of cases) {
      const res = await gw.graphql(query, variables, token);
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(variables)).toBe(code);
    }
  });
});
