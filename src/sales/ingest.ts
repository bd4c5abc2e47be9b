import {
  DEFAULT_INGEST_TIME_RULE,
  ingestTimeProblem,
  type IngestTimeRule,
} from '../ingest-time.js';
import sql, { empty, type Sql } from 'sql-template-tag';
import type { RequestDb } from '../db/request-db.js';
import { retentionProblem } from './retention.js';

/** One sale line with its store and product as ids. A negative quantity is a return. */
export interface SaleInput {
  transactionId: string;
  time: Date;
  storeId: string;
  productId: string;
  quantity: number;
  unitPrice: string;
  /** The receipt (basket) the line was rung up on, per store; null or absent when unknown. */
  receiptId?: string | null;
}

/** The longest receipt id a line may carry. */
export const MAX_RECEIPT_ID = 64;

/** The largest number of units one line may sell or return. */
export const MAX_QUANTITY = 100_000;
// numeric(12, 2): the price is stored as given, never rounded.
const PRICE = /^\d{1,10}(\.\d{1,2})?$/;

/** What a sale line is checked against: the latest and oldest acceptable times. */
export interface SaleLimits {
  /** When the lines were received (milliseconds since the epoch). */
  now: number;
  /** How far past `now` a line may lie. */
  times: IngestTimeRule;
  /** Lines older than this would be deleted by retention. */
  horizon: Date;
  /** The RETENTION setting, named in refusals. */
  retention: string;
}

/** The limits for lines received at `now`. */
export function saleLimits(
  horizon: Date,
  retention: string,
  times: IngestTimeRule = DEFAULT_INGEST_TIME_RULE,
  now: number = Date.now(),
): SaleLimits {
  return { now, times, horizon, retention };
}

/**
 * Why one sale line is refused (its field name first), or null when it is acceptable. The same
 * rules serve recordSales (which refuses the batch) and the import (which refuses the line).
 */
export function saleLineProblem(
  line: Pick<SaleInput, 'time' | 'quantity' | 'unitPrice' | 'receiptId'>,
  limits: SaleLimits,
): string | null {
  const q = line.quantity;
  const receipt = line.receiptId;
  if (receipt != null && (receipt.length === 0 || receipt.length > MAX_RECEIPT_ID)) {
    return `receiptId must be 1 to ${MAX_RECEIPT_ID} characters`;
  }
  if (!Number.isInteger(q) || q === 0 || Math.abs(q) > MAX_QUANTITY) {
    return `quantity must be a whole number from 1 to ${MAX_QUANTITY} (a sale) or from -${MAX_QUANTITY} to -1 (a return)`;
  }
  if (line.unitPrice.startsWith('-')) return 'unitPrice must not be negative';
  if (!PRICE.test(line.unitPrice)) {
    return 'unitPrice must have at most 10 digits before and 2 after the decimal point';
  }
  if (Number.isNaN(line.time.getTime())) return 'time is not a valid instant';
  const timeProblem = ingestTimeProblem(line.time, limits.times, limits.now);
  if (timeProblem) return `time ${timeProblem}`;
  return retentionProblem(line.time, limits.horizon, limits.retention);
}

/**
 * The columns of the insert statement as PostgreSQL array literals, written as `pg` writes a
 * JavaScript array of strings and numbers (every element quoted), so that the statement
 * receives the same text whichever way it was built.
 */
export interface SaleColumns {
  transactionIds: string;
  times: string;
  storeIds: string;
  productIds: string;
  quantities: string;
  unitPrices: string;
  receiptIds: string;
}

// What an array element escapes with a backslash: most elements (ids, times, numbers) hold none.
const ESCAPED = /[\\"]/;

/** `value` as `pg` quotes an array element: in double quotes, `\` and `"` escaped. */
export const quoted = (value: string) =>
  ESCAPED.test(value) ? `"${value.replace(/[\\"]/g, '\\$&')}"` : `"${value}"`;

/** An array literal of elements already quoted (or NULL). */
export const arrayLiteral = (elements: readonly string[]) => `{${elements.join(',')}}`;

/** The statement's columns of lines whose references are ids. */
export function saleColumns(sales: readonly SaleInput[]): SaleColumns {
  const column = (element: (s: SaleInput) => string) => arrayLiteral(sales.map(element));
  return {
    transactionIds: column((s) => quoted(s.transactionId)),
    times: column((s) => quoted(s.time.toISOString())),
    storeIds: column((s) => quoted(s.storeId)),
    productIds: column((s) => quoted(s.productId)),
    quantities: column((s) => quoted(String(s.quantity))),
    unitPrices: column((s) => quoted(s.unitPrice)),
    receiptIds: column((s) => (s.receiptId == null ? 'NULL' : quoted(s.receiptId))),
  };
}

/** What became of a batch: lines stored, lines already stored identically, and conflicts. */
export interface SalesOutcome {
  accepted: number;
  duplicates: number;
  /** Lines whose transaction id is stored with other content, by index in the batch. */
  conflicts: { index: number; storedTime: Date }[];
}

/**
 * Stores a batch of sale lines in the request's transaction. The idempotency key is the
 * tenant's transaction id alone: a line whose id is already stored (by an earlier call, an
 * archived row or an earlier line of the batch) with the same time, store, product, quantity,
 * price and receipt is a duplicate and skipped; with anything different (another receipt, or
 * none where one was given) it is a conflict, reported and not stored. `sale_keys` holds one row
 * per id, so two concurrent uploads of an id wait for each other and the second finds the first's
 * key. One statement, plus one when a line was not new.
 */
export async function insertSales(
  db: RequestDb,
  sales: readonly SaleInput[],
): Promise<SalesOutcome> {
  const c = saleColumns(sales);
  const rows = await db.query<{ inserted: string }>(sql`/* insertSales */
    ${batchInsert(db, c, null)}
    SELECT count(*)::text AS "inserted" FROM inserted`);
  return outcome(db, c, sales.length, Number(rows[0]?.inserted ?? 0));
}

/** What insertSalesWithinRetention did, and the tenant's retention its statement read. */
export interface RetainedOutcome extends SalesOutcome {
  /** The tenant's retention horizon, or the fallback while it has none of its own. */
  retention: string;
  /**
   * Whether a line is older than the horizon as the retention run counts it (`now()` less the
   * retention): then nothing was stored, and the caller refuses the batch.
   */
  tooOld: boolean;
}

/**
 * insertSales of a batch of `lines` lines given as its columns, in one statement that also
 * reads the tenant's retention (`fallback` while it has none) and stores nothing when a line
 * is older than it: recordSales' round trip for the horizon is part of the insert. The caller
 * then checks its own horizon (retentionHorizon, a day inside the database's) against the
 * answer and refuses, rolling the transaction back, any line between the two.
 */
export async function insertSalesWithinRetention(
  db: RequestDb,
  c: SaleColumns,
  lines: number,
  fallback: string,
): Promise<RetainedOutcome> {
  const [row] = await db.query<{ inserted: string; retention: string; tooOld: boolean }>(
    sql`/* insertSalesWithinRetention */
    ${batchInsert(db, c, fallback)}
    SELECT count(*)::text AS "inserted", (SELECT t.retention FROM tenant t) AS "retention",
           (SELECT o.refused FROM too_old o) AS "tooOld"
    FROM inserted`,
  );
  const retention = row?.retention ?? fallback;
  const tooOld = row?.tooOld ?? false;
  // A refused batch stored nothing, and its caller refuses it: no conflicts to look for.
  if (tooOld) return { accepted: 0, duplicates: 0, conflicts: [], retention, tooOld };
  return { ...(await outcome(db, c, lines, Number(row?.inserted ?? 0))), retention, tooOld };
}

/**
 * The common table expressions that insert a batch, ending with `inserted` (a row per line
 * stored). With a `fallback` retention they also read the tenant's (`tenant`) and store
 * nothing when a line is older than it (`too_old`).
 */
function batchInsert(db: RequestDb, c: SaleColumns, fallback: string | null): Sql {
  // customers is a reference table on Citus: reading it keeps the statement on one shard.
  const tenant =
    fallback === null
      ? empty
      : sql`tenant AS (
      SELECT coalesce((SELECT c.retention FROM customers c WHERE c.id = ${db.customerId}::uuid),
                      ${fallback}) AS retention
    ), `;
  const tooOld =
    fallback === null
      ? empty
      : sql`too_old AS (
      SELECT EXISTS (SELECT FROM input i, tenant t
                     WHERE i.time < now() - t.retention::interval) AS refused
    ), `;
  const kept = fallback === null ? empty : sql`WHERE NOT (SELECT o.refused FROM too_old o)`;
  return sql`WITH ${tenant}input AS (
      SELECT * FROM unnest(${c.transactionIds}::uuid[], ${c.times}::timestamptz[],
                           ${c.storeIds}::uuid[], ${c.productIds}::uuid[],
                           ${c.quantities}::integer[], ${c.unitPrices}::numeric(12, 2)[],
                           ${c.receiptIds}::text[])
           WITH ORDINALITY AS s(transaction_id, time, store_id, product_id, quantity, unit_price, receipt_id, n)
    ), ${tooOld}first AS (
      SELECT DISTINCT ON (s.transaction_id) * FROM input s ${kept}
      ORDER BY s.transaction_id, s.n
    ), keys AS (
      INSERT INTO sale_keys (customer_id, transaction_id, time, content)
      SELECT ${db.customerId}::uuid, f.transaction_id, f.time,
             app.sale_content(f.store_id, f.product_id, f.quantity, f.unit_price, f.receipt_id)
      FROM first f
      ORDER BY f.n
      ON CONFLICT DO NOTHING
      RETURNING transaction_id
    ), inserted AS (
      INSERT INTO gateway.transactions
        (customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue, receipt_id)
      SELECT ${db.customerId}::uuid, f.transaction_id, f.time, f.store_id, f.product_id,
             f.quantity, f.unit_price, f.quantity * f.unit_price, f.receipt_id
      FROM first f JOIN keys k ON k.transaction_id = f.transaction_id
      ORDER BY f.n
      RETURNING 1
    )`;
}

/** The outcome of a batch of which `accepted` lines were stored: the rest are looked at. */
async function outcome(
  db: RequestDb,
  c: SaleColumns,
  lines: number,
  accepted: number,
): Promise<SalesOutcome> {
  if (accepted === lines) return { accepted, duplicates: 0, conflicts: [] };
  const conflicts = await db.query<{ index: number; storedTime: Date }>(sql`/* saleKeyConflicts */
    SELECT (s.n - 1)::integer AS "index", k.time AS "storedTime"
    FROM unnest(${c.transactionIds}::uuid[], ${c.times}::timestamptz[],
                ${c.storeIds}::uuid[], ${c.productIds}::uuid[],
                ${c.quantities}::integer[], ${c.unitPrices}::numeric(12, 2)[],
                ${c.receiptIds}::text[])
         WITH ORDINALITY AS s(transaction_id, time, store_id, product_id, quantity, unit_price, receipt_id, n)
    JOIN sale_keys k ON k.customer_id = ${db.customerId}::uuid AND k.transaction_id = s.transaction_id
    WHERE k.time <> s.time
       OR k.content <> app.sale_content(s.store_id, s.product_id, s.quantity, s.unit_price, s.receipt_id)
    ORDER BY s.n`);
  return { accepted, duplicates: lines - accepted - conflicts.length, conflicts };
}
