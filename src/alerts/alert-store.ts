import sql, { empty } from 'sql-template-tag';
import type { RequestDb } from '../db/request-db.js';
import { defineLoader, groupByKey } from '../loaders.js';

/** Alert types, as the alerts.type CHECK constraint allows them. */
export const ALERT_TYPES = [
  'STOCKOUT',
  'LOW_STOCK',
  'OVERSTOCK',
  'SALES_SPIKE',
  'SALES_DROP',
  'FORECAST_DEVIATION',
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

/** Severities from lowest to highest (alerts.severity CHECK). */
export const ALERT_SEVERITIES = ['INFO', 'WARNING', 'CRITICAL'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** Lifecycle states (alerts.status CHECK). */
export const ALERT_STATUSES = ['OPEN', 'ACKNOWLEDGED', 'RESOLVED'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export interface AlertRow {
  id: string;
  storeId: string;
  productId: string;
  type: AlertType;
  severity: AlertSeverity;
  status: AlertStatus;
  message: string;
  occurrences: number;
  createdAt: Date;
  updatedAt: Date;
  acknowledgedAt: Date | null;
  resolvedAt: Date | null;
  resolutionNote: string | null;
  /** created_at at full (microsecond) precision, for keyset cursors. */
  createdAtKey: string;
}

/**
 * The columns of an AlertRow, created_at's key as seconds since the epoch (see withKeys). Only
 * IMMUTABLE functions: Citus refuses any other in a RETURNING clause (to_char is STABLE).
 */
const alertColumns = sql`
  a.id AS "id", a.store_id AS "storeId", a.product_id AS "productId", a.type AS "type",
  a.severity AS "severity", a.status AS "status", a.message AS "message",
  a.occurrences AS "occurrences", a.created_at AS "createdAt", a.updated_at AS "updatedAt",
  a.acknowledged_at AS "acknowledgedAt", a.resolved_at AS "resolvedAt",
  a.resolution_note AS "resolutionNote",
  extract(epoch FROM a.created_at AT TIME ZONE 'UTC')::text AS "createdAtEpoch"`;

type AlertColumns = Omit<AlertRow, 'createdAtKey'> & { createdAtEpoch: string };

/**
 * Rows of alertColumns as AlertRows: created_at's key as ISO 8601 text in UTC at microsecond
 * precision, from its seconds since the epoch (six decimals; alerts are never older than 1970).
 */
function withKeys<R extends AlertColumns>(rows: R[]): (Omit<R, 'createdAtEpoch'> & AlertRow)[] {
  return rows.map(({ createdAtEpoch, ...row }) => {
    const [seconds = '0', fraction = ''] = createdAtEpoch.split('.');
    const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
    return { ...row, createdAtKey: `${whole}.${fraction.padEnd(6, '0')}Z` };
  });
}

/** One page of alerts, newest first (created_at DESC, id DESC), after the keyset `after`. */
export async function listAlerts(
  db: RequestDb,
  page: {
    limit: number;
    after: readonly [string, string] | null;
    statuses: readonly AlertStatus[] | null;
    types: readonly AlertType[] | null;
    severities: readonly AlertSeverity[] | null;
    storeIds: readonly string[] | null;
  },
) {
  const rows = await db.query<AlertColumns>(sql`/* listAlerts */
    SELECT ${alertColumns} FROM alerts a
    WHERE a.customer_id = ${db.customerId}::uuid
      ${page.statuses ? sql`AND a.status = ANY(${page.statuses}::text[])` : empty}
      ${page.types ? sql`AND a.type = ANY(${page.types}::text[])` : empty}
      ${page.severities ? sql`AND a.severity = ANY(${page.severities}::text[])` : empty}
      ${page.storeIds ? sql`AND a.store_id = ANY(${page.storeIds}::uuid[])` : empty}
      ${page.after ? sql`AND (a.created_at, a.id) < (${page.after[0]}::timestamptz, ${page.after[1]}::uuid)` : empty}
    ORDER BY a.created_at DESC, a.id DESC
    LIMIT ${page.limit + 1}`);
  return withKeys(rows);
}

/** Open alerts of a store, asked with a limit. */
export interface OpenAlertsKey {
  storeId: string;
  limit: number;
}

/**
 * Unresolved alerts of each store, newest first and at most `limit` per store: one statement
 * for every store of the request (a LATERAL probe per store on alerts_one_open_idx's table).
 */
export const openAlertsByStore = defineLoader<OpenAlertsKey, AlertRow[], string>(
  'openAlertsByStore',
  async (db, keys) => {
    const rows = await db.query<AlertColumns & { key: number }>(sql`/* openAlertsByStore */
      SELECT k.ord::integer AS "key", x.* FROM unnest(${keys.map((k) => k.storeId)}::uuid[],
                                             ${keys.map((k) => k.limit)}::integer[])
             WITH ORDINALITY AS k(store_id, lim, ord)
      CROSS JOIN LATERAL (
        SELECT ${alertColumns} FROM alerts a
        WHERE a.customer_id = ${db.customerId}::uuid AND a.store_id = k.store_id
          AND a.status <> 'RESOLVED'
        ORDER BY a.created_at DESC, a.id DESC
        LIMIT k.lim
      ) x`);
    return groupByKey(
      keys.map((_k, i) => i + 1),
      withKeys(rows),
      (r) => r.key,
    );
  },
  { cacheKeyFn: (k) => `${k.storeId}:${k.limit}` },
);

/** What raiseAlert asks for. */
export interface RaiseAlertInput {
  storeId: string;
  productId: string;
  type: AlertType;
  severity: AlertSeverity;
  message: string;
}

/**
 * Creates an alert, or updates the one unresolved alert of the same store/product/type (one
 * more occurrence, the higher of both severities, the new message). One statement on the
 * partial unique index alerts_one_open_idx, so concurrent raises never create duplicates. The
 * times come in the inserted row, since Citus takes no STABLE function (now()) in DO UPDATE.
 */
export async function upsertAlert(db: RequestDb, input: RaiseAlertInput): Promise<AlertRow> {
  const rows = await db.query<AlertColumns>(sql`/* raiseAlert */
    INSERT INTO alerts AS a
      (customer_id, store_id, product_id, type, severity, message, created_at, updated_at)
    VALUES (${db.customerId}::uuid, ${input.storeId}::uuid, ${input.productId}::uuid,
            ${input.type}, ${input.severity}, ${input.message}, now(), now())
    ON CONFLICT (customer_id, store_id, product_id, type) WHERE status <> 'RESOLVED'
    DO UPDATE SET
      occurrences = a.occurrences + 1,
      severity = CASE
        WHEN array_position(${ALERT_SEVERITIES}::text[], EXCLUDED.severity)
           > array_position(${ALERT_SEVERITIES}::text[], a.severity)
        THEN EXCLUDED.severity ELSE a.severity END,
      message = EXCLUDED.message,
      updated_at = EXCLUDED.updated_at
    RETURNING ${alertColumns}`);
  const row = withKeys(rows)[0];
  if (row === undefined) throw new Error('raiseAlert returned no row');
  return row;
}

/** The alert with `id`; null when the caller cannot see it. */
export async function findAlert(db: RequestDb, id: string): Promise<AlertRow | null> {
  const rows = await db.query<AlertColumns>(sql`/* findAlert */
    SELECT ${alertColumns} FROM alerts a WHERE a.customer_id = ${db.customerId}::uuid AND a.id = ${id}::uuid`);
  return withKeys(rows)[0] ?? null;
}

/** The alert with `id`, locked for a lifecycle change; null when the caller cannot see it. */
export async function lockAlert(db: RequestDb, id: string): Promise<AlertRow | null> {
  const rows = await db.query<AlertColumns>(sql`/* lockAlert */
    SELECT ${alertColumns} FROM alerts a WHERE a.customer_id = ${db.customerId}::uuid AND a.id = ${id}::uuid FOR UPDATE`);
  return withKeys(rows)[0] ?? null;
}

/** Marks an open alert acknowledged. */
export async function markAcknowledged(db: RequestDb, id: string): Promise<AlertRow | null> {
  const rows = await db.query<AlertColumns>(sql`/* acknowledgeAlert */
    UPDATE alerts a SET status = 'ACKNOWLEDGED', acknowledged_at = now(), updated_at = now()
    WHERE a.customer_id = ${db.customerId}::uuid AND a.id = ${id}::uuid AND a.status = 'OPEN'
    RETURNING ${alertColumns}`);
  return withKeys(rows)[0] ?? null;
}

/** Marks an unresolved alert resolved, with an optional note. */
export async function markResolved(
  db: RequestDb,
  id: string,
  note: string | null,
): Promise<AlertRow | null> {
  const rows = await db.query<AlertColumns>(sql`/* resolveAlert */
    UPDATE alerts a SET status = 'RESOLVED', resolved_at = now(), updated_at = now(),
                        resolution_note = ${note}
    WHERE a.customer_id = ${db.customerId}::uuid AND a.id = ${id}::uuid AND a.status <> 'RESOLVED'
    RETURNING ${alertColumns}`);
  return withKeys(rows)[0] ?? null;
}
