import type { RequestDb } from '../db/request-db.js';
import { insertSalesWithinRetention, type RetainedOutcome, type SaleColumns } from './ingest.js';

/** How a bulk insert is split and paced (the server's IngestScheduler). */
export interface BulkPacing {
  /** Lines per statement; 0 or fewer: one statement for the whole batch. */
  readonly chunkLines: number;
  /** Resolves when the next statement may start. */
  turn(): Promise<void>;
  /**
   * Whether nothing executes beside the upload now that it would give way to: then its next
   * statement takes several chunks (IDLE_CHUNKS).
   */
  idle(): boolean;
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
 * How many chunks an upload inserts in one statement while nothing executes that it would give
 * way to: fewer statements for a lone upload, and a query that starts meanwhile shares the
 * cores with a bounded one.
 */
const IDLE_CHUNKS = 4;

/** One array literal of the elements of `literals`, in order (each holds at least one). */
function joinArrayLiterals(literals: readonly string[]): string {
  return `{${literals.map((l) => l.slice(1, -1)).join(',')}}`;
}

/** Each of `columns`, of `lines` elements, cut into literals of `size` (splitArrayLiteral). */
function splitColumns(
  columns: SaleColumns,
  size: number,
  lines: number,
): Record<keyof SaleColumns, string[]> {
  const split = {} as Record<keyof SaleColumns, string[]>;
  for (const key of Object.keys(columns) as (keyof SaleColumns)[]) {
    split[key] = splitArrayLiteral(columns[key], size);
    if (split[key].length !== Math.ceil(lines / size)) {
      throw new Error(`the ${key} column does not hold ${lines} elements`);
    }
  }
  return split;
}

/**
 * insertSalesWithinRetention of a batch in statements of `pacing.chunkLines` lines, each
 * started when `pacing` allows, or of IDLE_CHUNKS chunks when nothing executes that the upload
 * would give way to (`pacing.idle()`), all in the request's one transaction: the request's
 * commit or rollback keeps or drops every line together. The columns hold the lines in the
 * order they are inserted (`insertionOrder`: line `order[k]` of the batch is element k), which
 * keeps what is stored, the duplicates and the conflicts those of one statement in batch order;
 * conflicts are reported by batch index, the lowest first, so every chunk runs even after one
 * conflicts (the caller refuses the batch and rolls back). A chunk with a line older than the
 * tenant's retention (`fallbackRetention` while it has none) ends the batch, and the caller
 * refuses it.
 */
export async function insertSaleChunks(
  db: RequestDb,
  columns: SaleColumns,
  order: Int32Array,
  pacing: BulkPacing,
  fallbackRetention: string,
): Promise<RetainedOutcome> {
  const lines = order.length;
  const size = pacing.chunkLines <= 0 ? lines : pacing.chunkLines;
  const chunks = Math.ceil(lines / size);
  // Cut into chunks once a statement takes fewer than all of them.
  let split: Record<keyof SaleColumns, string[]> | null = null;
  let accepted = 0;
  let duplicates = 0;
  let retention = fallbackRetention;
  const conflicts: RetainedOutcome['conflicts'] = [];
  for (let chunk = 0, offset = 0; chunk < chunks;) {
    await pacing.turn();
    const take = pacing.idle() ? Math.min(IDLE_CHUNKS, chunks - chunk) : 1;
    let part = columns;
    if (take < chunks) {
      const parts = (split ??= splitColumns(columns, size, lines));
      part = {} as SaleColumns;
      for (const key of Object.keys(parts) as (keyof SaleColumns)[]) {
        part[key] = joinArrayLiterals(parts[key].slice(chunk, chunk + take));
      }
    }
    const count = Math.min(take * size, lines - offset);
    const outcome = await insertSalesWithinRetention(db, part, count, fallbackRetention);
    retention = outcome.retention;
    if (outcome.tooOld) {
      return { accepted: 0, duplicates: 0, conflicts: [], retention, tooOld: true };
    }
    accepted += outcome.accepted;
    duplicates += outcome.duplicates;
    for (const c of outcome.conflicts) {
      conflicts.push({ ...c, index: order[c.index + offset] ?? c.index + offset });
    }
    chunk += take;
    offset += count;
  }
  conflicts.sort((a, b) => a.index - b.index);
  return { accepted, duplicates, conflicts, retention, tooOld: false };
}
