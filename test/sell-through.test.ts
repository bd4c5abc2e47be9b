import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveRowsBefore } from '../src/db/archive.js';
import { refreshSalesRollups } from '../src/db/rollups.js';
import { BACKENDS, CLUSTER } from './support/backends.js';
import { uuid } from './support/fixtures.js';
import { startTestGateway, type TestGateway } from './support/gateway.js';
import {
  generateReceipts,
  insertReceiptLines,
  receiptTenant,
  recordLines,
} from './support/receipt-data.js';
import { insertTenants, ratioText, rng, type SaleRow } from './support/sales-data.js';

const QUERY = `query ($range: TimeRange!, $storeIds: [UUID!], $skus: [String!]) {
  sellThrough(range: $range, storeIds: $storeIds, skus: $skus) {
    store { id } product { id } unitsSold startingStock startingAt endingStock endingAt
    sellThroughRate weeksOfSupply reasons
  }
}`;

// Local midnights in Berlin around its spring change (a 23-hour day), an unaligned range, and
// a range ending on a snapshot's instant (at or before the edge: that snapshot counts).
const RANGES = [
  { from: '2026-03-22T23:00:00Z', to: '2026-04-05T22:00:00Z' },
  { from: '2026-03-25T07:13:00Z', to: '2026-10-28T19:00:00Z' },
  { from: '2026-03-20T00:00:00Z', to: '2026-04-01T06:00:00Z' },
];

interface Snapshot {
  storeId: string;
  productId: string;
  time: number;
  onHand: number;
}

// The cluster gives the same answers as plain PostgreSQL.
const KINDS = [...BACKENDS, ...CLUSTER];

describe.each(KINDS)('sell-through on %s', (kind) => {
  let gw: TestGateway;
  let token = '';
  const t = receiptTenant(0x60, 2, 4);
  const lines: SaleRow[] = [
    ...generateReceipts(t, 0x61, '2026-03-20T00:00:00Z', 16, 12),
    ...generateReceipts(t, 0x62, '2026-10-20T00:00:00Z', 10, 12),
  ];
  // Every pair but the last product gets daily-ish snapshots; the third product's start later.
  const snapshots: Snapshot[] = [];
  const random = rng(0x63);
  for (const s of t.stores) {
    t.products.slice(0, 3).forEach((p, i) => {
      const first =
        i === 2 ? Date.parse('2026-03-30T00:00:00Z') : Date.parse('2026-03-15T00:00:00Z');
      for (let at = first; at < Date.parse('2026-11-01T00:00:00Z'); at += 86_400_000 * 3) {
        snapshots.push({
          storeId: s.id,
          productId: p.id,
          time: at + Math.floor(random() * 3_600_000) * (i === 1 ? 0 : 1),
          onHand: Math.floor(random() * 300),
        });
      }
    });
  }

  beforeAll(async () => {
    gw = await startTestGateway(kind);
    await insertTenants(gw.owner, [t]);
    await insertReceiptLines(
      gw.owner,
      lines.map((l) => ({ ...l, receiptId: null })),
    );
    for (let i = 0; i < snapshots.length; i += 200) {
      const chunk = snapshots.slice(i, i + 200);
      await gw.owner.query(
        `INSERT INTO inventory_levels (customer_id, store_id, product_id, time, on_hand)
         SELECT $1, s, p, tm, o FROM unnest($2::uuid[], $3::uuid[], $4::timestamptz[], $5::int[]) AS u(s, p, tm, o)`,
        [
          t.customerId,
          chunk.map((x) => x.storeId),
          chunk.map((x) => x.productId),
          chunk.map((x) => new Date(x.time).toISOString()),
          chunk.map((x) => x.onHand),
        ],
      );
    }
    if (gw.database.backend === 'timescale') {
      // Spring's lines and snapshots go to the compressed archive: the edges read both.
      await archiveRowsBefore(gw.owner, new Date('2026-06-01T00:00:00Z'));
    }
    await refreshSalesRollups(gw.owner, gw.database.backend, null, null);
    token = await gw.token(t.customerId);
  });
  afterAll(() => gw?.close());

  function expected(range: { from: string; to: string }) {
    const from = Date.parse(range.from);
    const to = Date.parse(range.to);
    const weekMs = 7n * 86_400_000n;
    const pairs = t.stores
      .flatMap((s) => t.products.map((p) => [s.id, p.id] as const))
      .sort(([a, b], [c, d]) => (a === c ? (b < d ? -1 : 1) : a < c ? -1 : 1));
    return pairs.map(([storeId, productId]) => {
      const sold = lines
        .filter((l) => l.storeId === storeId && l.productId === productId)
        .filter((l) => l.time >= from && l.time < to)
        .reduce((s, l) => s + BigInt(l.quantity), 0n);
      const latest = (edge: number) =>
        snapshots
          .filter((x) => x.storeId === storeId && x.productId === productId && x.time <= edge)
          .sort((a, b) => b.time - a.time)[0] ?? null;
      const start = latest(from);
      const end = latest(to);
      const ending = end ? BigInt(end.onHand) : null;
      const reasons: string[] = [];
      if (!start) reasons.push('NO_SNAPSHOT_AT_START');
      if (!end) reasons.push('NO_SNAPSHOT_AT_END');
      if (sold <= 0n) reasons.push('NO_UNITS_SOLD');
      if (ending !== null && sold + ending <= 0n) reasons.push('NOTHING_SOLD_OR_IN_STOCK');
      return {
        store: { id: storeId },
        product: { id: productId },
        unitsSold: Number(sold),
        startingStock: start?.onHand ?? null,
        startingAt: start ? new Date(start.time).toISOString() : null,
        endingStock: end?.onHand ?? null,
        endingAt: end ? new Date(end.time).toISOString() : null,
        sellThroughRate:
          ending === null || sold + ending <= 0n ? null : ratioText(sold, sold + ending, 6),
        weeksOfSupply:
          ending === null || sold <= 0n
            ? null
            : ratioText(ending * BigInt(to - from), sold * weekMs, 6),
        reasons,
      };
    });
  }

  it('answers units, stock at both edges, rate and cover exactly, null with a reason', async () => {
    for (const range of RANGES) {
      const res = await gw.graphql<{ sellThrough: unknown }>(QUERY, { range }, token);
      expect(res.errors).toBeUndefined();
      expect(res.data?.sellThrough, range.from).toEqual(expected(range));
    }
  });

  it('counts a late line as soon as it is recorded', async () => {
    const admin = await gw.token(t.customerId, 'admin');
    const late: SaleRow = {
      customerId: t.customerId,
      transactionId: uuid(0x6f, 1),
      time: Date.parse('2026-03-30T12:00:00Z'),
      storeId: t.stores[0]?.id ?? '',
      productId: t.products[0]?.id ?? '',
      quantity: 7,
      priceCents: 250n,
    };
    await recordLines(gw, admin, [late]);
    lines.push(late);
    const range = RANGES[0] ?? { from: '', to: '' };
    const answer = await gw.graphql<{ sellThrough: unknown }>(QUERY, { range }, token);
    expect(answer.data?.sellThrough).toEqual(expected(range));
  });

  it('filters by store and SKU, and refuses unknown codes and empty ranges with typed errors', async () => {
    const range = RANGES[1] ?? { from: '', to: '' };
    const store = t.stores[1]?.id ?? '';
    const res = await gw.graphql<{ sellThrough: { product: { id: string } }[] }>(
      QUERY,
      { range, storeIds: [store], skus: ['P-02'] },
      token,
    );
    expect(res.data?.sellThrough).toEqual(
      expected(range).filter((r) => r.store.id === store && r.product.id === t.products[1]?.id),
    );
    const unknown = await gw.graphql(QUERY, { range, skus: ['NOPE'] }, token);
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const empty = await gw.graphql(QUERY, { range: { from: range.to, to: range.from } }, token);
    expect(empty.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
