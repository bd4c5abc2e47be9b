import type { RequestDb } from '../db/request-db.js';
import { userError } from '../errors.js';
import { validateRange, type TimeRange } from '../sales/plan.js';
import {
  boughtTogetherSql,
  receiptSizesSql,
  receiptSummarySql,
  type BasketFilters,
  type ReceiptGroup,
} from './basket-sql.js';
import type { BasketValues } from './measures.js';

/** The most rows one receipt summary returns. */
export const MAX_RECEIPT_ROWS = 10_000;

export interface ReceiptSummaryRow extends BasketValues {
  storeId?: string;
  productId?: string;
  category?: string;
}

/** The receipt measures per key of `group` over `range`, from the raw lines. */
export async function receiptSummary(
  db: RequestDb,
  q: { range: TimeRange; filters: BasketFilters; group: ReceiptGroup },
): Promise<ReceiptSummaryRow[]> {
  validateRange(q.range);
  const rows = await db.query<ReceiptSummaryRow>(
    receiptSummarySql({ ...q, tenant: db.customerId, limit: MAX_RECEIPT_ROWS + 1 }),
  );
  if (rows.length > MAX_RECEIPT_ROWS) {
    throw userError(
      `receiptSummary would return more than ${MAX_RECEIPT_ROWS} rows; filter stores or products, or split by less`,
      'TREND_TOO_LARGE',
      { maxRows: MAX_RECEIPT_ROWS },
    );
  }
  return rows;
}

export interface BoughtTogetherRow {
  productId: string;
  receipts: number;
  productReceipts: number;
  support: string;
  confidence: string;
  lift: string;
}

export interface BoughtTogether {
  productId: string;
  /** Baskets in the range (N). */
  receipts: number;
  /** Baskets holding the product (A). */
  productReceipts: number;
  items: BoughtTogetherRow[];
}

/** The products bought on the same baskets as `productId`, with support, confidence and lift. */
export async function boughtTogether(
  db: RequestDb,
  q: { range: TimeRange; storeIds: readonly string[] | null; productId: string; first: number },
): Promise<BoughtTogether> {
  validateRange(q.range);
  const rows = await db.query<BoughtTogetherRow & { part: number }>(
    boughtTogetherSql({ ...q, tenant: db.customerId }),
  );
  const head = rows.find((r) => r.part === 0);
  if (!head) throw new Error('boughtTogether returned no counts');
  return {
    productId: q.productId,
    receipts: head.receipts,
    productReceipts: head.productReceipts,
    items: rows.filter((r) => r.part === 1),
  };
}

export interface ReceiptSizeRow {
  units: number;
  orMore: boolean;
  receipts: number;
  totalUnits: string;
  share: string;
}

/** How many baskets hold each number of units sold in `range`. */
export async function receiptSizes(
  db: RequestDb,
  q: { range: TimeRange; storeIds: readonly string[] | null; maxUnits: number },
): Promise<ReceiptSizeRow[]> {
  validateRange(q.range);
  return db.query<ReceiptSizeRow>(receiptSizesSql({ ...q, tenant: db.customerId }));
}
