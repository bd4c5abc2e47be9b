import {
  DEFAULT_INGEST_TIME_RULE,
  ingestTimeProblem,
  type IngestTimeRule,
} from '../ingest-time.js';
import type { ProductUpsert, StoreUpsert } from './upsert-store.js';

// numeric(12, 2): the price is stored as given, never rounded.
const PRICE = /^\d{1,10}(\.\d{1,2})?$/;

function text(value: string, field: string, max: number): string | null {
  const trimmed = value.trim();
  return trimmed.length >= 1 && trimmed.length <= max
    ? null
    : `${field} must be 1 to ${max} characters (not only spaces)`;
}

function knownZone(zone: string): boolean {
  try {
    return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone !== '';
  } catch {
    return false;
  }
}

/** Why a store line cannot be upserted (its field name first), or null. */
export function storeProblem(s: StoreUpsert): string | null {
  return (
    text(s.code, 'code', 40) ??
    text(s.name, 'name', 200) ??
    text(s.region, 'region', 100) ??
    (knownZone(s.timeZone)
      ? null
      : `timeZone ${JSON.stringify(s.timeZone)} is not an IANA time zone`) ??
    (s.sizeSqm === null || s.sizeSqm > 0 ? null : 'sizeSqm must be positive')
  );
}

/** Why an amount of money (a price, a cost) cannot be stored, or null. */
function amountProblem(value: string, field: string): string | null {
  if (value.startsWith('-')) return `${field} must not be negative`;
  return PRICE.test(value)
    ? null
    : `${field} must have at most 10 digits before and 2 after the decimal point`;
}

/**
 * Why a cost's start cannot be stored: it needs the cost it starts, and a time a sale line
 * could have (no later than the server's clock plus the tolerance for sale times).
 */
function costFromProblem(p: ProductUpsert, times: IngestTimeRule, now: number): string | null {
  if (p.costFrom === null) return null;
  if (p.cost === null) return 'costFrom needs the cost it starts';
  const problem = ingestTimeProblem(p.costFrom, times, now);
  return problem === null ? null : `costFrom ${problem}`;
}

/** Why a product line cannot be upserted (its field name first), or null. */
export function productProblem(
  p: ProductUpsert,
  times: IngestTimeRule = DEFAULT_INGEST_TIME_RULE,
  now: number = Date.now(),
): string | null {
  return (
    text(p.sku, 'sku', 64) ??
    text(p.name, 'name', 200) ??
    text(p.category, 'category', 100) ??
    amountProblem(p.unitPrice, 'unitPrice') ??
    (p.cost === null ? null : amountProblem(p.cost, 'cost')) ??
    costFromProblem(p, times, now)
  );
}

/** The refusal of a line whose cost would start no later than its current cost. */
export function costFromConflict(costFrom: Date, currentFrom: Date): string {
  return `costFrom ${costFrom.toISOString()} is not after ${currentFrom.toISOString()}, when the product's current cost took effect: a cost period can only be added after the last one (history is never rewritten)`;
}
