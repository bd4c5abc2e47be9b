import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** A column name, or a constant written as {"value": "..."}. */
export type Source = string | { value: string };

/** How the columns of a CSV file become the fields of an import (see README, "Importing history"). */
export interface Mapping {
  delimiter: string;
  decimal: '.' | ',';
  /** Zone of the file's local times (an instant with an offset keeps its own). */
  timeZone: string;
  /** Accepted spellings of date-times, tried in order: YYYY YY M MM D DD H HH mm ss. */
  dateFormats: string[];
  sales?: {
    /** A column holding a UUID, or {"hashOf": [columns]}: a UUID derived from the tenant and those values. */
    transactionId: Source | { hashOf: string[] };
    time: Source;
    storeCode: Source;
    sku: Source;
    quantity: Source;
    unitPrice: Source;
    /** The receipt of the line (per store), such as an invoice number; a cancellation invoice is a receipt of its own. */
    receiptId?: Source;
    /** A line is a return when this column starts with `startsWith` (its quantity is made negative); negative quantities are returns anyway. */
    returnWhen?: { column: string; startsWith: string };
  };
  /** Creates a store missing from the catalog from the line that names it. */
  createStores?: { name: Source; region: Source; timeZone: Source };
  /** Creates a product missing from the catalog from the line that names it. */
  createProducts?: { name: Source; category: Source; unitPrice?: Source; cost?: Source };
  stores?: { code: Source; name: Source; region: Source; timeZone: Source };
  /**
   * `cost`, when mapped, sets each product's unit cost (an empty cell keeps the current one);
   * `costFrom`, a date-time in the dateFormats, when a changed cost takes effect (an empty cell:
   * now, as upsertProducts' costFrom).
   */
  products?: {
    sku: Source;
    name: Source;
    category: Source;
    unitPrice: Source;
    cost?: Source;
    costFrom?: Source;
  };
}

/** Reads and checks a mapping file; every problem is reported at once. */
export async function loadMapping(path: string): Promise<Mapping> {
  const raw = JSON.parse(await readFile(path, 'utf8')) as Partial<Mapping>;
  const problems: string[] = [];
  if (typeof raw.delimiter !== 'string' || raw.delimiter.length !== 1) {
    problems.push('delimiter: one character, such as ";" or ","');
  }
  if (raw.decimal !== '.' && raw.decimal !== ',') problems.push('decimal: "." or ","');
  if (typeof raw.timeZone !== 'string' || !validZone(raw.timeZone)) {
    problems.push('timeZone: an IANA time zone such as "Europe/London"');
  }
  if (!Array.isArray(raw.dateFormats) || raw.dateFormats.length === 0) {
    problems.push('dateFormats: a list such as ["YYYY-MM-DD HH:mm:ss"]');
  }
  if (problems.length > 0) throw new Error(`mapping ${path}:\n  ${problems.join('\n  ')}`);
  return raw as Mapping;
}

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The value of `source` in `record` (a constant, or the named column, trimmed). */
export function valueOf(record: Record<string, string>, source: Source): string {
  if (typeof source !== 'string') return source.value;
  const value = record[source];
  if (value === undefined) throw new Error(`the file has no column ${JSON.stringify(source)}`);
  return value.trim();
}

/**
 * A UUID derived from the tenant and `values` (SHA-256, shaped as a version 8 UUID), so the
 * same line of the same file always gets the same transaction id.
 */
export function derivedUuid(tenantId: string, values: readonly string[]): string {
  const hex = createHash('sha256')
    .update(JSON.stringify([tenantId, ...values]))
    .digest('hex');
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const TOKENS: Record<string, string> = {
  YYYY: '(?<y>\\d{4})',
  YY: '(?<yy>\\d{2})',
  MM: '(?<mo>\\d{2})',
  M: '(?<mo>\\d{1,2})',
  DD: '(?<d>\\d{2})',
  D: '(?<d>\\d{1,2})',
  HH: '(?<h>\\d{2})',
  H: '(?<h>\\d{1,2})',
  mm: '(?<mi>\\d{2})',
  ss: '(?<s>\\d{2})',
};

/** A parser of local date-times in the given spellings; null for text matching none. */
export function dateParser(formats: readonly string[], zone: string) {
  const patterns = formats.map(
    (f) =>
      new RegExp(
        `^${f.replace(/YYYY|YY|MM|M|DD|D|HH|H|mm|ss|[.*+?^${}()|[\]\\]/g, (t) => TOKENS[t] ?? `\\${t}`)}$`,
      ),
  );
  return (text: string): Date | null => {
    for (const pattern of patterns) {
      const g = pattern.exec(text)?.groups;
      if (!g) continue;
      const year = g.y ? Number(g.y) : 2000 + Number(g.yy);
      const parts = [
        year,
        Number(g.mo),
        Number(g.d),
        Number(g.h ?? 0),
        Number(g.mi ?? 0),
        Number(g.s ?? 0),
      ] as const;
      const [, mo, d, h, mi, s] = parts;
      if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
      return localToInstant(zone, ...parts);
    }
    return null;
  };
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
// Offsets of a zone by UTC hour, for the hours without a transition (null for the others).
// Formatting a date in a zone is the import's costliest step per line, and a file's lines
// share few hours of offsets.
const hourOffsets = new Map<string, Map<number, number | null>>();

function offsetMs(zone: string, t: number): number {
  let hours = hourOffsets.get(zone);
  if (!hours) {
    hours = new Map();
    hourOffsets.set(zone, hours);
  }
  const hour = Math.floor(t / HOUR_MS);
  let offset = hours.get(hour);
  if (offset === undefined) {
    const start = zoneOffsetMs(zone, hour * HOUR_MS);
    // Transitions lie at least a day apart: equal offsets at both ends mean none between.
    offset = start === zoneOffsetMs(zone, (hour + 1) * HOUR_MS - 1000) ? start : null;
    hours.set(hour, offset);
  }
  return offset ?? zoneOffsetMs(zone, t);
}

function zoneOffsetMs(zone: string, t: number): number {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  const p = Object.fromEntries(
    f.formatToParts(new Date(t)).map((x) => [x.type, Number(x.value)]),
  ) as Record<string, number>;
  const wall = Date.UTC(
    p.year ?? 0,
    (p.month ?? 1) - 1,
    p.day ?? 1,
    p.hour ?? 0,
    p.minute ?? 0,
    p.second ?? 0,
  );
  return wall - Math.floor(t / 1000) * 1000;
}

/** The instant of a wall-clock time in `zone` (in a repeated hour, the earlier one). */
export function localToInstant(
  zone: string,
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
): Date {
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  // The offsets a day before and after: any transition near this wall time lies between them.
  // Each gives an instant that shows this wall time if it is the offset in force there.
  const shows = (offset: number) => offsetMs(zone, wall - offset) === offset;
  const [larger, smaller] = [offsetMs(zone, wall - DAY_MS), offsetMs(zone, wall + DAY_MS)].sort(
    (a, b) => b - a,
  ) as [number, number];
  if (shows(larger)) return new Date(wall - larger);
  if (shows(smaller)) return new Date(wall - smaller);
  // A wall time skipped by a transition: the instant its offset before the transition gives.
  return new Date(wall - offsetMs(zone, wall - offsetMs(zone, wall)));
}

/** A decimal in the file's spelling as "123.45", or null when it is not a number. */
export function decimalOf(text: string, separator: '.' | ','): string | null {
  const normal = separator === ',' ? text.replace(',', '.') : text;
  return /^-?\d+(\.\d+)?$/.test(normal) ? normal : null;
}
