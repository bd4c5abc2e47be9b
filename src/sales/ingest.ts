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
 * (transaction id, time) already exist, in the hot table or the archive, are skipped (the first
 * of a batch wins), so a retried upload is harmless. Returns how many rows were new.
 */
export async function insertSales(db: RequestDb, sales: readonly SaleInput[]): Promise<number> {
  const rows = await db.query<{ inserted: string }>(sql`/* insertSales */
    WITH input AS (
      SELECT * FROM unnest(${sales.map((s) => s.transactionId)}::uuid[], ${sales.map((s) => s.time)}::timestamptz[],
                           ${sales.map((s) => s.storeId)}::uuid[], ${sales.map((s) => s.productId)}::uuid[],
                           ${sales.map((s) => s.quantity)}::integer[], ${sales.map((s) => s.unitPrice)}::numeric(12, 2)[])
           WITH ORDINALITY AS s(transaction_id, time, store_id, product_id, quantity, unit_price, n)
    ), archived AS (
      SELECT * FROM app.archived_sales((SELECT array_agg(transaction_id) FROM input),
                                       (SELECT array_agg(time) FROM input))
    ), inserted AS (
      INSERT INTO gateway.transactions
        (customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue)
      SELECT app.current_customer_id(), s.transaction_id, s.time, s.store_id, s.product_id,
             s.quantity, s.unit_price, s.quantity * s.unit_price
      FROM input s
      WHERE NOT EXISTS (
        SELECT FROM archived a WHERE a.transaction_id = s.transaction_id AND a.time = s.time)
      ORDER BY s.n
      ON CONFLICT DO NOTHING
      RETURNING 1
    )
    SELECT count(*)::text AS "inserted" FROM inserted`);
  return Number(rows[0]?.inserted ?? 0);
}
