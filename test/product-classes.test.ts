import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshSalesRollups } from '../src/db/rollups.js';
import { BACKENDS } from './support/backends.js';
import { uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import {
  generateReceipts,
  insertReceiptLines,
  receiptTenant,
  recordLines,
} from './support/receipt-data.js';
import { centsText, insertTenants, ratioText, type SaleRow } from './support/sales-data.js';

const QUERY = `query ($range: TimeRange!, $by: ProductClassBy!, $thresholds: [Float!], $perStore: Boolean, $storeIds: [UUID!], $categories: [String!]) {
  productClasses(range: $range, by: $by, thresholds: $thresholds, perStore: $perStore, storeIds: $storeIds, categories: $categories) {
    store { id } product { id } value share cumulativeShare rank class
  }
}`;

// A range the daily rollups serve, one with raw edges across Berlin's autumn change, and a
// day of made-up lines where two products tie.
const RANGES = [
  { from: '2026-03-21T00:00:00Z', to: '2026-04-02T00:00:00Z' },
  { from: '2026-10-20T07:31:00Z', to: '2026-10-28T05:00:00Z' },
  { from: '2026-05-10T00:00:00Z', to: '2026-05-11T00:00:00Z' },
];

describe.each(BACKENDS)('product classes on %s', (kind) => {
  let gw: TestGateway;
  let token = '';
  const t = receiptTenant(0x70, 3, 8);
  const tie = (n: number, product: number, quantity: number): SaleRow => ({
    customerId: t.customerId,
    transactionId: uuid(0x7e, n),
    time: Date.parse('2026-05-10T12:00:00Z') + n * 1000,
    storeId: t.stores[0]?.id ?? '',
    productId: t.products[product]?.id ?? '',
    quantity,
    priceCents: 100n,
  });
  // Unit costs: none for the fourth product before April (its margin is not known in March),
  // above the price for the seventh (a negative margin), 60 % of the price otherwise.
  const costed = (l: SaleRow): SaleRow => {
    const product = t.products.findIndex((p) => p.id === l.productId);
    const costCents =
      product === 3 && l.time < Date.parse('2026-04-01T00:00:00Z')
        ? null
        : (l.priceCents * (product === 6 ? 130n : 60n)) / 100n;
    return { ...l, costCents };
  };
  const lines: SaleRow[] = [
    ...generateReceipts(t, 0x71, '2026-03-20T00:00:00Z', 14, 20),
    ...generateReceipts(t, 0x72, '2026-10-19T00:00:00Z', 10, 20),
    tie(1, 2, 10),
    tie(2, 5, 5),
    tie(3, 4, 5),
    tie(4, 0, 1),
  ].map(costed);

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenants(gw.owner, [t]);
    await insertReceiptLines(
      gw.owner,
      lines.map((l) => ({ ...l, receiptId: null })),
    );
    await refreshSalesRollups(gw.owner, gw.database.backend, null, null);
    token = await gw.token(t.customerId);
  });
  afterAll(() => gw?.close());

  function expected(
    range: { from: string; to: string },
    by: 'UNITS' | 'REVENUE' | 'MARGIN',
    perStore: boolean,
    thresholds: [number, number] = [80, 95],
  ) {
    const from = Date.parse(range.from);
    const to = Date.parse(range.to);
    const kept = lines.filter((l) => l.time >= from && l.time < to);
    const partitions = perStore ? t.stores.map((s) => s.id) : [null];
    return partitions
      .sort((a, b) => ((a ?? '') < (b ?? '') ? -1 : 1))
      .flatMap((storeId) => {
        const values = t.products.map((p) => {
          const mine = kept.filter(
            (l) => l.productId === p.id && (storeId === null || l.storeId === storeId),
          );
          const per = (l: SaleRow) =>
            by === 'UNITS'
              ? 1n
              : by === 'REVENUE'
                ? l.priceCents
                : l.costCents == null
                  ? null
                  : l.priceCents - l.costCents;
          const value = mine.reduce<bigint | null>((s, l) => {
            const v = per(l);
            return s === null || v === null ? null : s + BigInt(l.quantity) * v;
          }, 0n);
          return { productId: p.id, sku: p.sku, value };
        });
        // Unknown values last, ties by SKU; they count for no total and get no class.
        values.sort((a, b) =>
          a.value === b.value
            ? a.sku.localeCompare(b.sku)
            : a.value === null
              ? 1
              : b.value === null || a.value > b.value
                ? -1
                : 1,
        );
        const total = values.reduce((s, v) => s + (v.value ?? 0n), 0n);
        let running = 0n;
        return values.map((v, i) => {
          const before = running;
          if (v.value === null) {
            return {
              store: storeId ? { id: storeId } : null,
              product: { id: v.productId },
              value: null,
              share: null,
              cumulativeShare: null,
              rank: i + 1,
              class: null,
            };
          }
          running += v.value;
          const cls =
            total <= 0n
              ? null
              : before * 100n < BigInt(thresholds[0]) * total
                ? 'A'
                : before * 100n < BigInt(thresholds[1]) * total
                  ? 'B'
                  : 'C';
          return {
            store: storeId ? { id: storeId } : null,
            product: { id: v.productId },
            value: by === 'UNITS' ? v.value.toString() : centsText(v.value),
            share: total > 0n ? ratioText(v.value, total, 6) : null,
            cumulativeShare: total > 0n ? ratioText(running, total, 6) : null,
            rank: i + 1,
            class: cls,
          };
        });
      });
  }

  async function ask(variables: Record<string, unknown>) {
    const res = await gw.graphql<{ productClasses: unknown }>(QUERY, variables, token);
    expect(res.errors).toBeUndefined();
    return res.data?.productClasses;
  }

  it('classes every product by units, revenue and margin, overall and per store, exactly', async () => {
    for (const range of RANGES) {
      for (const by of ['UNITS', 'REVENUE', 'MARGIN'] as const) {
        for (const perStore of [false, true]) {
          expect(await ask({ range, by, perStore }), `${range.from} ${by} ${perStore}`).toEqual(
            expected(range, by, perStore),
          );
        }
      }
    }
  });

  it('lists products of unknown margin last, without share or class, outside the total', async () => {
    const range = RANGES[0] ?? { from: '', to: '' };
    const rows = (await ask({ range, by: 'MARGIN' })) as {
      product: { id: string };
      value: string | null;
      class: string | null;
    }[];
    const last = rows[rows.length - 1];
    expect(last?.product.id).toBe(t.products[3]?.id);
    expect(last).toMatchObject({ value: null, share: null, cumulativeShare: null, class: null });
    expect(rows.find((r) => r.product.id === t.products[6]?.id)?.value).toMatch(/^-/);
    expect(rows).toEqual(expected(range, 'MARGIN', false));
  });

  it('breaks ties by SKU and takes other thresholds', async () => {
    const range = RANGES[2];
    const rows = (await ask({ range, by: 'UNITS', thresholds: [0.5, 0.9] })) as {
      product: { id: string };
      class: string;
    }[];
    expect(rows.slice(0, 3).map((r) => r.product.id)).toEqual(
      [2, 4, 5].map((i) => t.products[i]?.id),
    );
    expect(rows).toEqual(expected(range ?? { from: '', to: '' }, 'UNITS', false, [50, 90]));
  });

  it('counts a late line as soon as it is recorded', async () => {
    const admin = await gw.token(t.customerId, 'admin');
    const late = { ...tie(9, 7, 40), transactionId: uuid(0x7f, 1) };
    await recordLines(gw, admin, [late]);
    lines.push(late);
    const range = RANGES[2];
    expect(await ask({ range, by: 'REVENUE' })).toEqual(
      expected(range ?? { from: '', to: '' }, 'REVENUE', false),
    );
  });

  it('refuses bad thresholds and unknown measures with typed errors', async () => {
    const range = RANGES[0];
    for (const thresholds of [[0.9, 0.8], [0.8], [0, 0.5], [0.8, 1.2]]) {
      const res = await gw.graphql(QUERY, { range, by: 'UNITS', thresholds }, token);
      expect(res.errors?.[0]?.extensions?.code, JSON.stringify(thresholds)).toBe('BAD_USER_INPUT');
    }
    const unknown = await gw.graphql(QUERY, { range, by: 'COST' }, token);
    expect(unknown.errors?.[0]?.message).toMatch(/ProductClassBy/);
  });
});
