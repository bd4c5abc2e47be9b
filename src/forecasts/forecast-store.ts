import sql, { empty } from 'sql-template-tag';
import type { RequestDb } from '../db/request-db.js';

export interface ForecastRow {
  storeId: string;
  productId: string;
  periodStart: Date;
  modelVersion: string;
  units: string;
  unitsLower: string;
  unitsUpper: string;
  createdAt: Date;
}

/**
 * Forecasts of one store/product for periods starting in `[from, to)`, by period then model
 * version, at most `limit` rows (the caller asks for one more to detect overflow).
 */
export function listForecasts(
  db: RequestDb,
  args: {
    storeId: string;
    productId: string;
    from: Date;
    to: Date;
    modelVersion: string | null;
    limit: number;
  },
) {
  return db.query<ForecastRow>(sql`/* listForecasts */
    SELECT f.store_id AS "storeId", f.product_id AS "productId", f.time AS "periodStart",
           f.model_version AS "modelVersion", f.units::text AS "units",
           f.units_lower::text AS "unitsLower", f.units_upper::text AS "unitsUpper",
           f.created_at AS "createdAt"
    FROM gateway.forecasts f
    WHERE f.customer_id = ${db.customerId}::uuid AND f.store_id = ${args.storeId}::uuid AND f.product_id = ${args.productId}::uuid
      AND f.time >= ${args.from}::timestamptz AND f.time < ${args.to}::timestamptz
      ${args.modelVersion === null ? empty : sql`AND f.model_version = ${args.modelVersion}`}
    ORDER BY f.time, f.model_version
    LIMIT ${args.limit}`);
}
