import type { RequestDb } from '../db/request-db.js';
import { insertSalesWithinRetention, type RetainedOutcome, type SaleColumns } from './ingest.js';

/** How a bulk insert is split and paced (the server's IngestScheduler). */
export interface BulkPacing {
  /** Lines per statement; 0 or fewer: one statement for the whole batch. */
  readonly chunkLines: number;
  /** Resolves when the next statement may start. */
  turn(): Promise<void>;
}

const QUOTE = 34;
const BACKSLASH = 92;

/**
 * Splits an array literal as `arrayLiteral` writes it (elements NULL or in double quotes, `\`
 * and `"` escaped inside them) into literals of `size` elements each, the last one shorter.
 */
export function splitArrayLiteral(literal: string, size: number): string[] {
  const parts: string[] = [];
  const end = literal.length - 1;
  let start = 1;
  let count = 0;
  for (let i = 1; i < end; i += 1) {
    if (literal.charCodeAt(i) === QUOTE) {
      for (i += 1; literal.charCodeAt(i) !== QUOTE; i += 1) {
        if (literal.charCodeAt(i) === BACKSLASH) i += 1;
      }
      i += 1;
    } else {
      const comma = literal.indexOf(',', i);
      i = comma === -1 || comma > end ? end : comma;
    }
    // literal[i] is the comma after the element, or the closing brace.
    count += 1;
    if (count === size || i >= end) {
      parts.push(`{${literal.slice(start, i)}}`);
      start = i + 1;
      count = 0;
    }
  }
  return parts;
}

/**
 * insertSalesWithinRetention of a batch in statements of `pacing.chunkLines` lines, each started when
 * `pacing` allows, all in the request's one transaction: the request's commit or rollback
 * keeps or drops every line together. A chunk's conflicts end the batch (the caller refuses it
 * and rolls back); since chunks run in line order, the first conflict found is the batch's
 * first, as one statement reports it. Lines repeated across chunks are duplicates of the
 * earlier one, as within one statement. A chunk with a line older than the tenant's retention
 * (`fallbackRetention` while it has none) ends the batch too, and the caller refuses it.
 */
export async function insertSaleChunks(
  db: RequestDb,
  columns: SaleColumns,
  lines: number,
  pacing: BulkPacing,
  fallbackRetention: string,
): Promise<RetainedOutcome> {
  const size = pacing.chunkLines;
  if (size <= 0 || lines <= size) {
    await pacing.turn();
    return insertSalesWithinRetention(db, columns, lines, fallbackRetention);
  }
  const split = {} as Record<keyof SaleColumns, string[]>;
  for (const key of Object.keys(columns) as (keyof SaleColumns)[]) {
    split[key] = splitArrayLiteral(columns[key], size);
    if (split[key].length !== Math.ceil(lines / size)) {
      throw new Error(`the ${key} column does not hold ${lines} elements`);
    }
  }
  let accepted = 0;
  let duplicates = 0;
  let retention = fallbackRetention;
  for (let chunk = 0, offset = 0; offset < lines; chunk += 1, offset += size) {
    const part = {} as SaleColumns;
    for (const key of Object.keys(split) as (keyof SaleColumns)[]) {
      part[key] = split[key][chunk] as string;
    }
    await pacing.turn();
    const outcome = await insertSalesWithinRetention(
      db,
      part,
      Math.min(size, lines - offset),
      fallbackRetention,
    );
    retention = outcome.retention;
    if (outcome.tooOld)
      return { accepted: 0, duplicates: 0, conflicts: [], retention, tooOld: true };
    accepted += outcome.accepted;
    duplicates += outcome.duplicates;
    if (outcome.conflicts.length > 0) {
      const conflicts = outcome.conflicts.map((c) => ({ ...c, index: c.index + offset }));
      return { accepted, duplicates, conflicts, retention, tooOld: false };
    }
  }
  return { accepted, duplicates, conflicts: [], retention, tooOld: false };
}
