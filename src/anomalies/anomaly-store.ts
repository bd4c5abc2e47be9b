import sql, { empty } from 'sql-template-tag';
import type { RequestDb } from '../db/request-db.js';

/** Anomaly kinds, as the anomalies.kind CHECK constraint allows them. */
export const ANOMALY_KINDS = [
  'SALES_SPIKE',
  'SALES_DROP',
  'STOCK_MISMATCH',
  'PRICE_OUTLIER',
] as const;
export type AnomalyKind = (typeof ANOMALY_KINDS)[number];

export interface AnomalyRow {
  id: string;
  storeId: string;
  productId: string | null;
  kind: AnomalyKind;
  detectedAt: Date;
  score: string;
  metadata: Record<string, unknown>;
  /** detected_at at full (microsecond) precision, for keyset cursors. */
  detectedAtKey: string;
}

/**
 * One page of anomalies detected in `[from, to)`, newest first (detected_at DESC, id DESC).
 * `metadata` is a containment filter (`@>`, served by the GIN jsonb_path_ops index);
 * `metadataKeys` requires every key at the top level (`?&`, which jsonb_path_ops cannot serve,
 * so it filters the rows the time-range index yields).
 */
export function listAnomalies(
  db: RequestDb,
  page: {
    limit: number;
    after: readonly [string, string] | null;
    from: Date;
    to: Date;
    storeIds: readonly string[] | null;
    kinds: readonly AnomalyKind[] | null;
    metadata: string | null;
    metadataKeys: readonly string[] | null;
  },
) {
  return db.query<AnomalyRow>(sql`/* listAnomalies */
    SELECT n.id AS "id", n.store_id AS "storeId", n.product_id AS "productId", n.kind AS "kind",
           n.detected_at AS "detectedAt", n.score::text AS "score", n.metadata AS "metadata",
           to_char(n.detected_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "detectedAtKey"
    FROM anomalies n
    WHERE n.customer_id = ${db.customerId}::uuid
      AND n.detected_at >= ${page.from}::timestamptz AND n.detected_at < ${page.to}::timestamptz
      ${page.storeIds ? sql`AND n.store_id = ANY(${page.storeIds}::uuid[])` : empty}
      ${page.kinds ? sql`AND n.kind = ANY(${page.kinds}::text[])` : empty}
      ${page.metadata === null ? empty : sql`AND n.metadata @> ${page.metadata}::jsonb`}
      ${page.metadataKeys ? sql`AND n.metadata ?& ${page.metadataKeys}::text[]` : empty}
      ${page.after ? sql`AND (n.detected_at, n.id) < (${page.after[0]}::timestamptz, ${page.after[1]}::uuid)` : empty}
    ORDER BY n.detected_at DESC, n.id DESC
    LIMIT ${page.limit + 1}`);
}
