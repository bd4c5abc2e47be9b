import type { MEASURES, MeasureName } from '../../src/analytics/measures.js';
import type { Pool } from '../../src/db/pool.js';
import { insertTenant, uuid, type TenantFixture } from './fixtures.js';

/** One generated sale line; money in cents so expected values are exact. */
export interface SaleRow {
  customerId: string;
  transactionId: string;
  time: number;
  storeId: string;
  productId: string;
  quantity: number;
  priceCents: bigint;
  /** The unit cost the line keeps, in cents; null or absent: recorded without a cost. */
  costCents?: bigint | null;
  /** The receipt the line was rung up on, per store; null or absent: none. */
  receiptId?: string | null;
  /** Set by markOpeners: the line is the first recorded sale line of its receipt. */
  opensReceipt?: boolean;
  /** Set by markOpeners: the line is the first recorded sale line of its product on its receipt. */
  opensProduct?: boolean;
}

/**
 * Marks, in the order the lines were recorded, the first sale line of each receipt (store,
 * receiptId) and of each product on a receipt: each receipt counts once, at that line. Lines
 * already marked by an earlier call keep their marks (a receipt opened then stays opened).
 */
export function markOpeners(recorded: readonly SaleRow[], before: readonly SaleRow[] = []): void {
  const open = new Set<string>();
  for (const r of before) {
    if (r.opensReceipt) open.add(`${r.customerId}|${r.storeId}|${r.receiptId}`);
    if (r.opensProduct) open.add(`${r.customerId}|${r.storeId}|${r.receiptId}|${r.productId}`);
  }
  for (const r of recorded) {
    if (r.receiptId == null || r.quantity <= 0) continue;
    const receipt = `${r.customerId}|${r.storeId}|${r.receiptId}`;
    const pair = `${receipt}|${r.productId}`;
    r.opensReceipt = !open.has(receipt);
    r.opensProduct = !open.has(pair);
    open.add(receipt);
    open.add(pair);
  }
}

/**
 * What receipts count in a shape: opened receipts (split by store or time only), receipts
 * containing the product (split by product, or filtered to one product), or nothing (split by
 * category, or filtered to several products or to categories).
 */
export type TestReceiptScope = 'receipts' | 'products' | 'none';

/** The receipt scope of a question split by `groupBy` with product and category filters. */
export function scopeOf(q: {
  groupBy?: readonly string[];
  productIds?: readonly string[] | null;
  categories?: readonly string[] | null;
}): TestReceiptScope {
  const g = q.groupBy ?? [];
  if (g.includes('CATEGORY')) return 'none';
  if (g.includes('PRODUCT')) return 'products';
  if (q.categories) return 'none';
  if (!q.productIds) return 'receipts';
  return q.productIds.length === 1 ? 'products' : 'none';
}

/** Lines of a tenant's fourth product sold before this were recorded before it had a cost. */
export const COSTED_FROM = Date.parse('2026-03-20T00:00:00Z');

/** Deterministic pseudo-random numbers (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const STORE_ZONES = ['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'UTC'];
export const CATEGORIES = ['Dairy', 'Dairy', 'Bakery', 'Bakery'];

/** A tenant with `storeCount` stores (zones cycling through STORE_ZONES) and 4 products. */
export function salesTenant(group: number, name: string, storeCount: number): TenantFixture {
  return {
    customerId: uuid(group, 0),
    name,
    stores: Array.from({ length: storeCount }, (_, i) => ({
      id: uuid(1, i + 1),
      code: `S${String(i + 1).padStart(3, '0')}`,
      name: `Store ${i + 1}`,
      timeZone: STORE_ZONES[i % STORE_ZONES.length] ?? 'UTC',
    })),
    products: [1, 2, 3, 4].map((n) => ({
      id: uuid(2, n),
      sku: `SKU-${n}`,
      name: `Product ${n}`,
      category: CATEGORIES[n - 1] ?? 'Dairy',
      unitPrice: `${n}.25`,
    })),
  };
}

const DAY = 86_400_000;

/**
 * Sale lines for `tenant`'s first `activeStores` stores over each period: some days have no
 * sales at all, every `returnEvery`-th line is a return, times fall on any minute and second (so unaligned range edges cut buckets).
 */
export function generateSales(
  tenant: TenantFixture,
  seed: number,
  periods: readonly { from: string; days: number }[],
  activeStores: number,
  perDay: number,
  returnEvery = 13,
): SaleRow[] {
  const random = rng(seed);
  const rows: SaleRow[] = [];
  let n = 0;
  for (const period of periods) {
    const start = Date.parse(period.from);
    for (let d = 0; d < period.days; d += 1) {
      if (random() < 0.15) continue;
      for (let i = 0; i < perDay; i += 1) {
        n += 1;
        const store = tenant.stores[Math.floor(random() * activeStores)];
        const product = tenant.products[Math.floor(random() * tenant.products.length)];
        if (!store || !product) continue;
        const units = 1 + Math.floor(random() * 9);
        const time = start + d * DAY + Math.floor(random() * DAY);
        const priceCents = BigInt(50 + Math.floor(random() * 5000));
        rows.push({
          customerId: tenant.customerId,
          transactionId: uuid(seed, n),
          time,
          storeId: store.id,
          productId: product.id,
          // Every returnEvery-th line (0: none) is a return, as POS exports carry them.
          quantity: returnEvery > 0 && n % returnEvery === 0 ? -units : units,
          priceCents,
          // A cost that changes from line to line (a history of cost changes), none for the
          // fourth product before COSTED_FROM.
          costCents:
            product === tenant.products[3] && time < COSTED_FROM
              ? null
              : (priceCents * BigInt(45 + (n % 40))) / 100n,
        });
      }
    }
  }
  return rows;
}

/** Inserts sale lines and their idempotency keys through the owner connection, in one statement per 200 rows (the embedded server takes small messages best). */
export async function insertSales(owner: Pool, rows: readonly SaleRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) {
    const chunk = rows.slice(i, i + 200);
    await owner.query(
      `WITH u AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::uuid[], $5::uuid[], $6::int[], $7::numeric[], $8::numeric[], $9::text[])
           AS u(c, t, tm, s, p, q, pr, uc, r)
       ), keys AS (
         INSERT INTO sale_keys (customer_id, transaction_id, time, content)
         SELECT c, t, tm, app.sale_content(s, p, q, pr, r) FROM u
       )
       INSERT INTO transactions (customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue, unit_cost, receipt_id)
       SELECT c, t, tm, s, p, q, pr, q * pr, uc, r FROM u`,
      [
        chunk.map((r) => r.customerId),
        chunk.map((r) => r.transactionId),
        chunk.map((r) => new Date(r.time).toISOString()),
        chunk.map((r) => r.storeId),
        chunk.map((r) => r.productId),
        chunk.map((r) => r.quantity),
        chunk.map((r) => centsText(r.priceCents)),
        chunk.map((r) => (r.costCents == null ? null : centsText(r.costCents))),
        chunk.map((r) => r.receiptId ?? null),
      ],
    );
  }
}

/**
 * Puts most lines on receipts: a store's lines within the same 40 minutes (from 10 past) share
 * one, so receipts cross hour and day boundaries; one line in eight has none. Marks the
 * receipts' opening lines in the order the lines are listed (the order they are recorded).
 */
export function onReceipts<T extends SaleRow>(rows: T[]): T[] {
  rows.forEach((r, i) => {
    const slot = Math.floor((r.time + 600_000) / 2_400_000);
    r.receiptId = i % 8 === 7 ? null : `${r.storeId.slice(-4)}-${slot}`;
  });
  markOpeners(rows);
  return rows;
}

/** Inserts tenants with their catalog. */
export async function insertTenants(owner: Pool, tenants: readonly TenantFixture[]) {
  for (const t of tenants) await insertTenant(owner, t);
}

/** Formats cents as the gateway's decimal strings ("12.50"). */
export function centsText(cents: bigint): string {
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

// ---- Independent time-zone arithmetic (Intl only) ----

interface LocalParts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

const fmts = new Map<string, Intl.DateTimeFormat>();

/** The wall clock of `zone` at instant `t`. */
export function localParts(zone: string, t: number): LocalParts {
  let f = fmts.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    fmts.set(zone, f);
  }
  const p = Object.fromEntries(
    f
      .formatToParts(new Date(t))
      .filter((x) => x.type !== 'literal')
      .map((x) => [x.type, Number(x.value)]),
  ) as Record<string, number>;
  return {
    y: p.year ?? 0,
    mo: p.month ?? 0,
    d: p.day ?? 0,
    h: p.hour ?? 0,
    mi: p.minute ?? 0,
    s: p.second ?? 0,
  };
}

function offsetMs(zone: string, t: number): number {
  const p = localParts(zone, t);
  return Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s) - Math.floor(t / 1000) * 1000;
}

/** The instant of local midnight of the local date (y, mo, d) in `zone`. */
export function localMidnight(zone: string, y: number, mo: number, d: number): number {
  const wall = Date.UTC(y, mo - 1, d);
  const guess = wall - offsetMs(zone, wall);
  return wall - offsetMs(zone, guess);
}

export type TestGranularity = 'HOUR' | 'DAY' | 'WEEK' | 'MONTH';

/** Start of the bucket holding instant `t`, computed from the wall clock. */
export function bucketOf(g: TestGranularity, zone: string, t: number): number {
  const p = localParts(zone, t);
  if (g === 'HOUR') return t - (p.mi * 60_000 + p.s * 1000 + (((t % 1000) + 1000) % 1000));
  if (g === 'DAY') return localMidnight(zone, p.y, p.mo, p.d);
  if (g === 'MONTH') return localMidnight(zone, p.y, p.mo, 1);
  const dow = new Date(Date.UTC(p.y, p.mo - 1, p.d)).getUTCDay();
  const monday = new Date(Date.UTC(p.y, p.mo - 1, p.d - ((dow + 6) % 7)));
  return localMidnight(
    zone,
    monday.getUTCFullYear(),
    monday.getUTCMonth() + 1,
    monday.getUTCDate(),
  );
}

/** Start of the bucket after the one starting at `b` (`k` buckets later; before it when negative). */
function nextBucket(g: TestGranularity, zone: string, b: number, k = 1): number {
  if (g === 'HOUR') return b + k * 3_600_000;
  const p = localParts(zone, b);
  const step = new Date(
    Date.UTC(
      p.y,
      p.mo - 1 + (g === 'MONTH' ? k : 0),
      p.d + (g === 'DAY' ? k : g === 'WEEK' ? 7 * k : 0),
    ),
  );
  return localMidnight(zone, step.getUTCFullYear(), step.getUTCMonth() + 1, step.getUTCDate());
}

export interface TrendQuestion {
  from: string;
  to: string;
  granularity: TestGranularity;
  timeZone?: string;
  storeIds?: string[];
  productIds?: string[];
  categories?: string[];
  groupBy?: ('STORE' | 'PRODUCT' | 'CATEGORY')[];
  fillGaps?: boolean;
}

type Answer<T> = T extends 'BigInt' | 'Int' ? number : string;

/** Every measure's value as an answer carries it: BigInt and Int as JSON numbers, Decimal as text. */
export type MeasureAnswers = {
  [K in MeasureName]: (typeof MEASURES)[K] extends { nullable: true }
    ? Answer<(typeof MEASURES)[K]['type']> | null
    : Answer<(typeof MEASURES)[K]['type']>;
};

export interface ExpectedBucket extends MeasureAnswers {
  bucket: string;
  storeId: string | null;
  productId: string | null;
  category: string | null;
}

/** The salesTrend answer computed from the raw rows in TypeScript, exact in cents. */
export function expectedTrend(
  rows: readonly SaleRow[],
  customerId: string,
  categoryOf: (productId: string) => string,
  q: TrendQuestion,
): ExpectedBucket[] {
  const zone = q.timeZone ?? 'UTC';
  const from = Date.parse(q.from);
  const to = Date.parse(q.to);
  const groups = new Set(q.groupBy ?? []);
  const acc = new Map<
    string,
    LineTotals & { b: number; s: string | null; p: string | null; c: string | null }
  >();
  const groupKeys = new Map<string, { s: string | null; p: string | null; c: string | null }>();
  for (const r of rows) {
    if (r.customerId !== customerId || r.time < from || r.time >= to) continue;
    if (q.storeIds && !q.storeIds.includes(r.storeId)) continue;
    if (q.productIds && !q.productIds.includes(r.productId)) continue;
    if (q.categories && !q.categories.includes(categoryOf(r.productId))) continue;
    const s = groups.has('STORE') ? r.storeId : null;
    const p = groups.has('PRODUCT') ? r.productId : null;
    const c = groups.has('CATEGORY') ? categoryOf(r.productId) : null;
    const gk = `${s}|${p}|${c}`;
    groupKeys.set(gk, { s, p, c });
    const b = bucketOf(q.granularity, zone, r.time);
    const key = `${b}|${gk}`;
    const cur = acc.get(key) ?? { b, s, p, c, ...noTotals() };
    addLine(cur, r);
    acc.set(key, cur);
  }
  if (q.fillGaps) {
    if (groups.size === 0) groupKeys.set('null|null|null', { s: null, p: null, c: null });
    for (
      let b = bucketOf(q.granularity, zone, from);
      b < to;
      b = nextBucket(q.granularity, zone, b)
    ) {
      for (const [gk, g] of groupKeys) {
        const key = `${b}|${gk}`;
        if (!acc.has(key)) {
          acc.set(key, { b, ...g, ...noTotals() });
        }
      }
    }
  }
  const cmp = (x: string | null, y: string | null) =>
    x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1;
  return [...acc.values()]
    .sort((x, y) => x.b - y.b || cmp(x.s, y.s) || cmp(x.p, y.p) || cmp(x.c, y.c))
    .map((v) => ({
      bucket: new Date(v.b).toISOString(),
      storeId: v.s,
      productId: v.p,
      category: v.c,
      ...measuresOf(v, scopeOf(q)),
    }));
}

/** Sums over sale lines: net units and cents, lines, and the returned (positive) amounts. */
export interface LineTotals {
  units: number;
  cents: bigint;
  tx: number;
  returned: number;
  returnedCents: bigint;
  /** Cost of the lines that kept one, and the lines that kept none. */
  costCents: bigint;
  uncosted: number;
  /** Receipts opened, receipt/product pairs opened, units sold and net cents on receipts. */
  receipts: number;
  productReceipts: number;
  receiptUnits: number;
  receiptCents: bigint;
}

/** Adds one line to `t`: a negative quantity is a return, counted net and as returned. */
export function addLine(
  t: LineTotals,
  r: Pick<
    SaleRow,
    'quantity' | 'priceCents' | 'costCents' | 'receiptId' | 'opensReceipt' | 'opensProduct'
  >,
): void {
  if (r.opensReceipt) t.receipts += 1;
  if (r.opensProduct) t.productReceipts += 1;
  if (r.receiptId != null) {
    t.receiptCents += BigInt(r.quantity) * r.priceCents;
    if (r.quantity > 0) t.receiptUnits += r.quantity;
  }
  if (r.costCents == null) t.uncosted += 1;
  else t.costCents += BigInt(r.quantity) * r.costCents;
  t.units += r.quantity;
  t.cents += BigInt(r.quantity) * r.priceCents;
  t.tx += 1;
  if (r.quantity < 0) {
    t.returned -= r.quantity;
    t.returnedCents -= BigInt(r.quantity) * r.priceCents;
  }
}

/**
 * The oracle of every measure of the model, computed from a group's line totals in TypeScript
 * (exact in cents), independently of the SQL the model derives: a measure added to the model
 * without its oracle here does not compile.
 */
export const MEASURE_ORACLE: {
  [K in MeasureName]: (t: LineTotals, scope: TestReceiptScope) => MeasureAnswers[K];
} = {
  units: (t) => t.units,
  revenue: (t) => centsText(t.cents),
  transactions: (t) => t.tx,
  returnedUnits: (t) => t.returned,
  returnedRevenue: (t) => centsText(t.returnedCents),
  cost: (t) => (t.uncosted > 0 ? null : centsText(t.costCents)),
  grossMargin: (t) => (t.uncosted > 0 ? null : centsText(t.cents - t.costCents)),
  marginRate: (t) =>
    t.uncosted > 0 || t.cents === 0n ? null : ratioText(t.cents - t.costCents, t.cents, 6),
  receipts: (t, scope) => receiptsIn(t, scope),
  averageReceiptValue: (t, scope) => {
    const n = receiptsIn(t, scope);
    return n === null || n === 0 ? null : ratioText(t.receiptCents, BigInt(n) * 100n, 6);
  },
  unitsPerReceipt: (t, scope) => {
    const n = receiptsIn(t, scope);
    return n === null || n === 0 ? null : ratioText(BigInt(t.receiptUnits), BigInt(n), 6);
  },
  averageUnitPrice: (t) => (t.units === 0 ? null : ratioText(t.cents, BigInt(t.units) * 100n, 6)),
};

function receiptsIn(t: LineTotals, scope: TestReceiptScope): number | null {
  return scope === 'none' ? null : scope === 'products' ? t.productReceipts : t.receipts;
}

/** The measures that are ratios of sums: over a window, their value is their mean. */
const RATIOS = new Set([
  'marginRate',
  'averageReceiptValue',
  'unitsPerReceipt',
  'averageUnitPrice',
]);

/** Decimal places of a measure's answer (the rate has six, money two). */
const measureScale = (m: string) => (RATIOS.has(m) ? 6 : 2);

/** Every measure of a group's totals, as the gateway answers them. */
export function measuresOf(t: LineTotals, scope: TestReceiptScope = 'receipts'): MeasureAnswers {
  return Object.fromEntries(
    Object.entries(MEASURE_ORACLE).map(([name, f]) => [name, f(t, scope)]),
  ) as MeasureAnswers;
}

/** The totals of several groups of lines together. */
export function sumTotals(list: readonly LineTotals[]): LineTotals {
  const t = noTotals();
  for (const x of list) {
    t.units += x.units;
    t.cents += x.cents;
    t.tx += x.tx;
    t.returned += x.returned;
    t.returnedCents += x.returnedCents;
    t.costCents += x.costCents;
    t.uncosted += x.uncosted;
    t.receipts += x.receipts;
    t.productReceipts += x.productReceipts;
    t.receiptUnits += x.receiptUnits;
    t.receiptCents += x.receiptCents;
  }
  return t;
}

/** Totals of no line. */
export function noTotals(): LineTotals {
  return {
    units: 0,
    cents: 0n,
    tx: 0,
    returned: 0,
    returnedCents: 0n,
    costCents: 0n,
    uncosted: 0,
    receipts: 0,
    productReceipts: 0,
    receiptUnits: 0,
    receiptCents: 0n,
  };
}

/** Units and revenue cents per key over the rows of `customerId` in [from, to). */
export function totalsBy(
  rows: readonly SaleRow[],
  customerId: string,
  from: number,
  to: number,
  keyOf: (r: SaleRow) => string,
): Map<string, LineTotals> {
  const out = new Map<string, LineTotals>();
  for (const r of rows) {
    if (r.customerId !== customerId || r.time < from || r.time >= to) continue;
    const k = keyOf(r);
    const cur = out.get(k) ?? noTotals();
    addLine(cur, r);
    out.set(k, cur);
  }
  return out;
}

/** A measure's value as an exact integer of `scale` decimal places (units 3 is 3_000_000 at 6). */
export function scaled(value: number | string | null, scale = 6): bigint {
  if (value === null) return 0n;
  const text = String(value);
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = text.replace('-', '').split('.');
  const digits = BigInt(whole + fraction.padEnd(scale, '0').slice(0, scale));
  return negative ? -digits : digits;
}

/** `num / den` rounded half away from zero to `scale` places, as PostgreSQL's round() writes it. */
export function ratioText(num: bigint, den: bigint, scale: number): string {
  const factor = 10n ** BigInt(scale);
  const negative = num < 0n !== den < 0n && num !== 0n;
  const n = (num < 0n ? -num : num) * factor;
  const d = den < 0n ? -den : den;
  const q = (2n * n + d) / (2n * d);
  const text = q.toString().padStart(scale + 1, '0');
  return `${negative && q !== 0n ? '-' : ''}${text.slice(0, -scale)}.${text.slice(-scale)}`;
}

export type RankDimension = 'STORE' | 'PRODUCT' | 'CATEGORY';

export interface ExpectedRanked extends MeasureAnswers {
  rank: number | null;
  storeId: string | null;
  productId: string | null;
  category: string | null;
  share: string | null;
  compared?: MeasureAnswers;
  change?: Record<string, number | string | null>;
}

/**
 * The ranking answer computed from the raw rows: totals per key, ordered by measure `by`
 * (highest first, ties by key), the first `first`, the sum of the rest, and the total.
 */
export function expectedRanking(
  rows: readonly SaleRow[],
  customerId: string,
  categoryOf: (productId: string) => string,
  q: {
    from: string;
    to: string;
    dimension: RankDimension;
    by: MeasureName;
    first: number;
    storeIds?: string[];
    categories?: string[];
    compareTo?: TestCompareTo;
  },
): { rows: ExpectedRanked[]; other: ExpectedRanked; total: ExpectedRanked } {
  const scope = scopeOf({ groupBy: [q.dimension], categories: q.categories });
  const keyOf = (r: SaleRow) =>
    q.dimension === 'STORE'
      ? r.storeId
      : q.dimension === 'PRODUCT'
        ? r.productId
        : categoryOf(r.productId);
  const kept = rows.filter(
    (r) =>
      (!q.storeIds || q.storeIds.includes(r.storeId)) &&
      (!q.categories || q.categories.includes(categoryOf(r.productId))),
  );
  const byKey = totalsBy(kept, customerId, Date.parse(q.from), Date.parse(q.to), keyOf);
  const period = Date.parse(q.to) - Date.parse(q.from);
  const back = (t: number) => (q.compareTo ? wallStep('UTC', t, q.compareTo, period, -1) : t);
  const byKeyBefore = totalsBy(
    kept,
    customerId,
    back(Date.parse(q.from)),
    back(Date.parse(q.to)),
    keyOf,
  );
  const value = (t: LineTotals) => scaled(MEASURE_ORACLE[q.by](t, scope));
  const ordered = [...byKey.entries()].sort(([ka, a], [kb, b]) => {
    const d = value(b) - value(a);
    return d > 0n ? 1 : d < 0n ? -1 : ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const total = sumTotals(ordered.map(([, t]) => t));
  const share = (t: LineTotals) =>
    value(total) === 0n ? null : ratioText(value(t), value(total), 6);
  const top = new Set(ordered.slice(0, q.first).map(([k]) => k));
  const before = (keys: (k: string) => boolean) =>
    sumTotals([...byKeyBefore.entries()].filter(([k]) => keys(k)).map(([, t]) => t));
  const row = (
    t: LineTotals,
    rank: number | null,
    key: string | null,
    then: LineTotals,
  ): ExpectedRanked => ({
    rank,
    storeId: q.dimension === 'STORE' ? key : null,
    productId: q.dimension === 'PRODUCT' ? key : null,
    category: q.dimension === 'CATEGORY' ? key : null,
    share: share(t),
    ...measuresOf(t, scope),
    ...(q.compareTo
      ? {
          compared: measuresOf(then, scope),
          change: changeOf(measuresOf(t, scope), measuresOf(then, scope)),
        }
      : {}),
  });
  return {
    rows: ordered.slice(0, q.first).map(([k, t], i) =>
      row(
        t,
        i + 1,
        k,
        before((x) => x === k),
      ),
    ),
    other: row(
      sumTotals(ordered.slice(q.first).map(([, t]) => t)),
      null,
      null,
      before((x) => !top.has(x)),
    ),
    total: row(
      total,
      null,
      null,
      before(() => true),
    ),
  };
}

export interface ExpectedWindowBucket extends ExpectedBucket {
  rolling: { sum: MeasureAnswers; mean: Record<MeasureName, string | null> } | null;
  cumulative: MeasureAnswers | null;
}

/**
 * A trend with window totals, computed from the raw rows: each bucket's own totals, the totals
 * of it and the `rolling - 1` whole buckets before it (buckets before the range included, empty
 * ones as zeros) with their mean per bucket, and the running totals from the range's start.
 */
export function expectedWindowTrend(
  rows: readonly SaleRow[],
  customerId: string,
  categoryOf: (productId: string) => string,
  q: TrendQuestion,
  window: { rolling: number | null; cumulative: boolean },
): ExpectedWindowBucket[] {
  const zone = q.timeZone ?? 'UTC';
  const from = Date.parse(q.from);
  const to = Date.parse(q.to);
  const first = bucketOf(q.granularity, zone, from);
  const leadStart = nextBucket(q.granularity, zone, first, -((window.rolling ?? 1) - 1));
  const groups = new Set(q.groupBy ?? []);
  const perBucket = new Map<string, LineTotals>();
  const groupKeys = new Map<string, { s: string | null; p: string | null; c: string | null }>();
  for (const r of rows) {
    if (r.customerId !== customerId || r.time < leadStart || r.time >= to) continue;
    if (q.storeIds && !q.storeIds.includes(r.storeId)) continue;
    if (q.productIds && !q.productIds.includes(r.productId)) continue;
    if (q.categories && !q.categories.includes(categoryOf(r.productId))) continue;
    const b = bucketOf(q.granularity, zone, r.time);
    if (r.time < from && b === first) continue;
    const g = {
      s: groups.has('STORE') ? r.storeId : null,
      p: groups.has('PRODUCT') ? r.productId : null,
      c: groups.has('CATEGORY') ? categoryOf(r.productId) : null,
    };
    const gk = `${g.s}|${g.p}|${g.c}`;
    groupKeys.set(gk, g);
    const key = `${b}|${gk}`;
    const cur = perBucket.get(key) ?? noTotals();
    addLine(cur, r);
    perBucket.set(key, cur);
  }
  if (groups.size === 0) groupKeys.set('null|null|null', { s: null, p: null, c: null });
  const buckets: number[] = [];
  for (let b = leadStart; b < to; b = nextBucket(q.granularity, zone, b)) buckets.push(b);
  const out: (ExpectedWindowBucket & { b: number })[] = [];
  for (const [gk, g] of groupKeys) {
    const totals = buckets.map((b) => perBucket.get(`${b}|${gk}`));
    let running = noTotals();
    buckets.forEach((b, i) => {
      if (b < first) return;
      const own = totals[i];
      running = sumTotals([running, own ?? noTotals()]);
      if (!own && !q.fillGaps) return;
      const n = window.rolling;
      const span = n ? sumTotals(totals.slice(i - n + 1, i + 1).map((t) => t ?? noTotals())) : null;
      const sum = span ? measuresOf(span, scopeOf(q)) : null;
      out.push({
        b,
        bucket: new Date(b).toISOString(),
        storeId: g.s,
        productId: g.p,
        category: g.c,
        ...measuresOf(own ?? noTotals(), scopeOf(q)),
        rolling:
          sum && n
            ? {
                sum,
                mean: Object.fromEntries(
                  Object.entries(sum).map(([m, v]) => [
                    m,
                    // A rate over the window is its own mean per bucket.
                    v === null || RATIOS.has(m)
                      ? v
                      : ratioText(scaled(v), BigInt(n) * 10n ** 6n, 6),
                  ]),
                ) as Record<MeasureName, string | null>,
              }
            : null,
        cumulative: window.cumulative ? measuresOf(running, scopeOf(q)) : null,
      });
    });
  }
  const cmp = (x: string | null, y: string | null) =>
    x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1;
  return out
    .sort(
      (x, y) =>
        x.b - y.b ||
        cmp(x.storeId, y.storeId) ||
        cmp(x.productId, y.productId) ||
        cmp(x.category, y.category),
    )
    .map(({ b: _b, ...rest }) => rest);
}

/** The instant a wall-clock time of `zone` names (`wall` as if it were UTC), as PostgreSQL reads it. */
export function localInstant(zone: string, wall: number): number {
  const guess = wall - offsetMs(zone, wall);
  return wall - offsetMs(zone, guess);
}

export type TestCompareTo = 'PREVIOUS_PERIOD' | 'PREVIOUS_YEAR' | 'PREVIOUS_YEAR_SAME_WEEKDAY';

/**
 * Instant `t` moved on the wall clock of `zone` by `sign` steps of the comparison: one
 * calendar year (day clamped to the month's length), 364 days, or `periodMs` of wall clock.
 */
export function wallStep(
  zone: string,
  t: number,
  compareTo: TestCompareTo,
  periodMs: number,
  sign: 1 | -1,
): number {
  const p = localParts(zone, t);
  const ms = ((t % 1000) + 1000) % 1000;
  if (compareTo === 'PREVIOUS_YEAR') {
    const y = p.y + sign;
    const last = new Date(Date.UTC(y, p.mo, 0)).getUTCDate();
    return localInstant(zone, Date.UTC(y, p.mo - 1, Math.min(p.d, last), p.h, p.mi, p.s) + ms);
  }
  const wall = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s) + ms;
  const step = compareTo === 'PREVIOUS_PERIOD' ? periodMs : 364 * 86_400_000;
  return localInstant(zone, wall + sign * step);
}

/** Every measure's difference from `then` to `now`, and that over `then` (null when 0). */
export function changeOf(
  now: MeasureAnswers,
  then: MeasureAnswers,
): Record<string, number | string | null> {
  const change: Record<string, number | string | null> = {};
  for (const [m, v] of Object.entries(now)) {
    const was = then[m as MeasureName];
    if (v === null || was === null) {
      change[m] = null;
      change[`${m}Ratio`] = null;
      continue;
    }
    const base = scaled(was);
    const diff = scaled(v) - base;
    change[m] =
      typeof v === 'number'
        ? Number(diff / 1_000_000n)
        : ratioText(diff, 1_000_000n, measureScale(m));
    change[`${m}Ratio`] = base === 0n ? null : ratioText(diff, base, 6);
  }
  return change;
}

export interface ExpectedComparedBucket extends ExpectedBucket {
  compared: MeasureAnswers | null;
  change: Record<string, number | string | null> | null;
}

/**
 * A compared trend from the raw rows: every line of the compared range moved forward on the
 * wall clock and bucketed with the range's own; buckets with lines in either (all with
 * fillGaps); compared null where the compared span starts before `horizon`.
 */
export function expectedComparedTrend(
  rows: readonly SaleRow[],
  customerId: string,
  categoryOf: (productId: string) => string,
  q: TrendQuestion,
  compareTo: TestCompareTo,
  horizon: number,
): ExpectedComparedBucket[] {
  const zone = q.timeZone ?? 'UTC';
  const from = Date.parse(q.from);
  const to = Date.parse(q.to);
  const wall = (t: number) => {
    const p = localParts(zone, t);
    return Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s);
  };
  const periodMs = wall(to) - wall(from);
  const back = (t: number) => wallStep(zone, t, compareTo, periodMs, -1);
  const cFrom = back(from);
  const cTo = back(to);
  const first = bucketOf(q.granularity, zone, from);
  const groups = new Set(q.groupBy ?? []);
  const current = new Map<string, LineTotals>();
  const compared = new Map<string, LineTotals>();
  const keys = new Map<
    string,
    { b: number; s: string | null; p: string | null; c: string | null }
  >();
  const groupKeys = new Map<string, { s: string | null; p: string | null; c: string | null }>();
  for (const r of rows) {
    if (r.customerId !== customerId) continue;
    if (q.storeIds && !q.storeIds.includes(r.storeId)) continue;
    if (q.productIds && !q.productIds.includes(r.productId)) continue;
    if (q.categories && !q.categories.includes(categoryOf(r.productId))) continue;
    const inRange = r.time >= from && r.time < to;
    const inCompared = r.time >= cFrom && r.time < cTo;
    for (const [yes, into, t] of [
      [inRange, current, r.time],
      [inCompared, compared, wallStep(zone, r.time, compareTo, periodMs, 1)],
    ] as const) {
      if (!yes) continue;
      const b = bucketOf(q.granularity, zone, t);
      if (b < first || b >= to) continue;
      const g = {
        s: groups.has('STORE') ? r.storeId : null,
        p: groups.has('PRODUCT') ? r.productId : null,
        c: groups.has('CATEGORY') ? categoryOf(r.productId) : null,
      };
      const gk = `${g.s}|${g.p}|${g.c}`;
      groupKeys.set(gk, g);
      keys.set(`${b}|${gk}`, { b, ...g });
      const cur = into.get(`${b}|${gk}`) ?? noTotals();
      addLine(cur, r);
      into.set(`${b}|${gk}`, cur);
    }
  }
  if (q.fillGaps) {
    if (groups.size === 0) groupKeys.set('null|null|null', { s: null, p: null, c: null });
    for (let b = first; b < to; b = nextBucket(q.granularity, zone, b)) {
      for (const [gk, g] of groupKeys) keys.set(`${b}|${gk}`, { b, ...g });
    }
  }
  const cmp = (x: string | null, y: string | null) =>
    x === y ? 0 : x === null ? 1 : y === null ? -1 : x < y ? -1 : 1;
  return [...keys.entries()]
    .sort(([, x], [, y]) => x.b - y.b || cmp(x.s, y.s) || cmp(x.p, y.p) || cmp(x.c, y.c))
    .map(([key, k]) => {
      const now = measuresOf(current.get(key) ?? noTotals(), scopeOf(q));
      const then = measuresOf(compared.get(key) ?? noTotals(), scopeOf(q));
      const covered = back(Math.max(k.b, from)) >= horizon;
      const change = changeOf(now, then);
      return {
        bucket: new Date(k.b).toISOString(),
        storeId: k.s,
        productId: k.p,
        category: k.c,
        ...now,
        compared: covered ? then : null,
        change: covered ? change : null,
      };
    });
}
