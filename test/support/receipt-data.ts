import type { Pool } from '../../src/db/pool.js';
import { uuid, type TenantFixture } from './fixtures.js';
import type { TestGateway } from './gateway.js';
import { centsText, ratioText, rng, type SaleRow } from './sales-data.js';

/** One generated sale line with its receipt (null: a line rung up on no receipt). */
export interface ReceiptLine extends SaleRow {
  receiptId: string | null;
}

const DAY = 86_400_000;

/** A tenant with `stores` stores in DST-changing zones and `products` products in two categories. */
export function receiptTenant(group: number, stores: number, products: number): TenantFixture {
  const zones = ['Europe/Berlin', 'America/New_York', 'UTC'];
  return {
    customerId: uuid(group, 0),
    name: `Receipts ${group}`,
    stores: Array.from({ length: stores }, (_, i) => ({
      id: uuid(group + 1, i + 1),
      code: `R${i + 1}`,
      name: `Store ${i + 1}`,
      timeZone: zones[i % zones.length] ?? 'UTC',
    })),
    products: Array.from({ length: products }, (_, i) => ({
      id: uuid(group + 2, i + 1),
      sku: `P-${String(i + 1).padStart(2, '0')}`,
      name: `Product ${i + 1}`,
      category: i % 2 === 0 ? 'Fresh' : 'Dry',
      unitPrice: '1.00',
    })),
  };
}

/**
 * Receipts over the days from `from`: each of 1 to 5 lines of random products (a product may
 * come twice), its lines a few seconds apart; about one receipt in 9 holds only returns, one
 * in 11 has a return beside its sales, and one line in 15 carries no receipt.
 */
export function generateReceipts(
  tenant: TenantFixture,
  seed: number,
  from: string,
  days: number,
  perDay: number,
): ReceiptLine[] {
  const random = rng(seed);
  const pick = <T>(list: readonly T[]): T => {
    const x = list[Math.floor(random() * list.length)];
    if (x === undefined) throw new Error('empty list');
    return x;
  };
  const lines: ReceiptLine[] = [];
  const start = Date.parse(from);
  let n = 0;
  for (let d = 0; d < days; d += 1) {
    for (let r = 0; r < perDay; r += 1) {
      const store = pick(tenant.stores);
      const at = start + d * DAY + Math.floor(random() * DAY);
      const receipt = `${seed}-${d}-${r}`;
      const returnsOnly = random() < 1 / 9;
      const count = 1 + Math.floor(random() * 5);
      for (let k = 0; k < count; k += 1) {
        n += 1;
        const units = 1 + Math.floor(random() * 4);
        const refund = returnsOnly || (k > 0 && random() < 1 / 11);
        lines.push({
          customerId: tenant.customerId,
          transactionId: uuid(seed, n),
          time: at + k * 7_000,
          storeId: store.id,
          productId: pick(tenant.products).id,
          quantity: refund ? -units : units,
          priceCents: BigInt(25 + Math.floor(random() * 2000)),
          receiptId: random() < 1 / 15 ? null : receipt,
        });
      }
    }
  }
  return lines;
}

/** Inserts lines with their receipts and idempotency keys through the owner connection. */
export async function insertReceiptLines(owner: Pool, rows: readonly ReceiptLine[]) {
  for (let i = 0; i < rows.length; i += 200) {
    const chunk = rows.slice(i, i + 200);
    await owner.query(
      `WITH u AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::uuid[], $5::uuid[], $6::int[], $7::numeric[], $8::text[], $9::numeric[])
           AS u(c, t, tm, s, p, q, pr, r, uc)
       ), keys AS (
         INSERT INTO sale_keys (customer_id, transaction_id, time, content)
         SELECT c, t, tm, app.sale_content(s, p, q, pr, r) FROM u
       )
       INSERT INTO transactions (customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue, receipt_id, unit_cost)
       SELECT c, t, tm, s, p, q, pr, q * pr, r, uc FROM u`,
      [
        chunk.map((r) => r.customerId),
        chunk.map((r) => r.transactionId),
        chunk.map((r) => new Date(r.time).toISOString()),
        chunk.map((r) => r.storeId),
        chunk.map((r) => r.productId),
        chunk.map((r) => r.quantity),
        chunk.map((r) => centsText(r.priceCents)),
        chunk.map((r) => r.receiptId),
        chunk.map((r) => (r.costCents == null ? null : centsText(r.costCents))),
      ],
    );
  }
}

/** The receipt measures of a set of lines, computed here from their definitions. */
export interface ReceiptAnswers {
  receipts: number;
  averageReceiptValue: string | null;
  unitsPerReceipt: string | null;
  averageUnitPrice: string | null;
}

const basketKey = (l: Pick<ReceiptLine, 'storeId' | 'receiptId'>) => `${l.storeId}|${l.receiptId}`;

/**
 * The receipt measures of `lines` (all of one group), their flags set by markOpeners: receipts
 * opened by them (`receipts`), receipt/product pairs opened by them (`products`: receipts
 * containing the product), or the receipts with a sale line among them (`distinct`: what a
 * summary per category counts).
 */
export function receiptOracle(
  lines: readonly ReceiptLine[],
  scope: 'receipts' | 'products' | 'distinct' = 'receipts',
): ReceiptAnswers {
  const baskets = new Set<string>();
  let opened = 0;
  let receiptUnits = 0n;
  let receiptCents = 0n;
  let units = 0n;
  let cents = 0n;
  for (const l of lines) {
    units += BigInt(l.quantity);
    cents += BigInt(l.quantity) * l.priceCents;
    if (scope === 'receipts' ? l.opensReceipt : l.opensProduct) opened += 1;
    if (l.receiptId === null) continue;
    receiptCents += BigInt(l.quantity) * l.priceCents;
    if (l.quantity > 0) {
      baskets.add(basketKey(l));
      receiptUnits += BigInt(l.quantity);
    }
  }
  const n = BigInt(scope === 'distinct' ? baskets.size : opened);
  return {
    receipts: Number(n),
    averageReceiptValue: n === 0n ? null : ratioText(receiptCents, n * 100n, 6),
    unitsPerReceipt: n === 0n ? null : ratioText(receiptUnits, n, 6),
    averageUnitPrice: units === 0n ? null : ratioText(cents, units * 100n, 6),
  };
}

/** The baskets of `lines`: each receipt with a sale line, and the products it holds. */
export function basketsOf(lines: readonly ReceiptLine[]): Map<string, Set<string>> {
  const baskets = new Map<string, Set<string>>();
  for (const l of lines) {
    if (l.receiptId === null || l.quantity <= 0) continue;
    const key = basketKey(l);
    const products = baskets.get(key) ?? new Set<string>();
    products.add(l.productId);
    baskets.set(key, products);
  }
  return baskets;
}

/** Units sold per basket of `lines`. */
export function basketUnits(lines: readonly ReceiptLine[]): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const l of lines) {
    if (l.receiptId === null || l.quantity <= 0) continue;
    sizes.set(basketKey(l), (sizes.get(basketKey(l)) ?? 0) + l.quantity);
  }
  return sizes;
}

/** Records lines through recordSales (the path late lines take), with their receipts. */
export async function recordLines(
  gw: TestGateway,
  token: string,
  lines: readonly (SaleRow & { receiptId?: string | null })[],
): Promise<void> {
  const res = await gw.graphql(
    `mutation ($sales: [SaleInput!]!) { recordSales(sales: $sales) { accepted } }`,
    {
      sales: lines.map((l) => ({
        transactionId: l.transactionId,
        time: new Date(l.time).toISOString(),
        storeId: l.storeId,
        productId: l.productId,
        quantity: l.quantity,
        unitPrice: centsText(l.priceCents),
        receiptId: l.receiptId ?? null,
      })),
    },
    token,
  );
  if (res.errors) throw new Error(JSON.stringify(res.errors));
}
