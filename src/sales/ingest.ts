import sql from 'sql-template-tag';
import type { RequestDb } from '../db/request-db.js';

export interface SaleInput {
  transactionId: string;
  time: Date;
  storeId: string;
  productId: string;
  quantity: number;
  unitPrice: string;
}

/**
 * Inserts a batch of sale lines in one statement, in the request's transaction; rows whose
 * (transaction id, time) already exist are skipped, so a retried upload is harmless. Returns
 * how many rows were new.
 */
export async function insertSales(db: RequestDb, sales: readonly SaleInput[]): Promise<number> {
  const rows = await db.query<{ inserted: string }>(sql`/* insertSales */
    WITH inserted AS (
      INSERT INTO transactions
        (customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue)
      SELECT app.current_customer_id(), s.transaction_id, s.time, s.store_id, s.product_id,
             s.quantity, s.unit_price, s.quantity * s.unit_price
      FROM unnest(${sales.map((s) => s.transactionId)}::uuid[], ${sales.map((s) => s.time)}::timestamptz[],
                  ${sales.map((s) => s.storeId)}::uuid[], ${sales.map((s) => s.productId)}::uuid[],
                  ${sales.map((s) => s.quantity)}::integer[], ${sales.map((s) => s.unitPrice)}::numeric(12, 2)[])
           AS s(transaction_id, time, store_id, product_id, quantity, unit_price)
      ON CONFLICT DO NOTHING
      RETURNING 1
    )
    SELECT count(*)::text AS "inserted" FROM inserted`);
  return Number(rows[0]?.inserted ?? 0);
}
