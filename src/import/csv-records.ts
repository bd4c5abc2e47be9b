import { isUtf8 } from 'node:buffer';
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse/sync';

/** The longest line (or record, when a quoted field spans lines) an import reads, in bytes. */
export const MAX_RECORD_BYTES = 1_048_576;

/** How much of a refused line's text the refused-lines file repeats. */
const SHOWN_CHARS = 500;

/** A record of the file: its first line's number and its fields by header name. */
export interface CsvRecord {
  line: number;
  record: Record<string, string>;
  /** Bytes of the file read up to the end of this record. */
  bytes: number;
}

/** A line that is no record, with its number, why, and (the start of) its text. */
export interface CsvProblem {
  line: number;
  problem: string;
  text: string;
  bytes: number;
}

interface PhysicalLine {
  number: number;
  text: string;
  /** Why the line cannot be read as text at all, or null. */
  problem: string | null;
  /** Bytes of the file read up to the end of this line. */
  end: number;
}

/**
 * The lines of a file as they are on disk, numbered from 1: split at LF, a CR before it
 * dropped (so CRLF, LF and a mix of both count the same lines), each checked to be UTF-8
 * without NUL bytes. A line longer than `maxBytes` is not held in memory: it comes back as a
 * problem with its first bytes.
 */
async function* physicalLines(file: string, maxBytes: number): AsyncGenerator<PhysicalLine> {
  let parts: Buffer[] = [];
  let held = 0;
  let oversized = false;
  let number = 0;
  let offset = 0;
  const finish = (end: number): PhysicalLine => {
    number += 1;
    let bytes = Buffer.concat(parts, held);
    if (bytes.at(-1) === 0x0d) bytes = bytes.subarray(0, -1);
    if (number === 1 && bytes.subarray(0, 3).equals(BOM)) bytes = bytes.subarray(3);
    const problem = oversized
      ? `the line is longer than ${maxBytes} bytes`
      : !isUtf8(bytes)
        ? 'the line is not valid UTF-8'
        : bytes.includes(0)
          ? 'the line holds a NUL byte'
          : null;
    parts = [];
    held = 0;
    oversized = false;
    return { number, text: bytes.toString('utf8'), problem, end };
  };
  const keep = (piece: Buffer) => {
    if (oversized) return;
    if (held + piece.length > maxBytes) {
      oversized = true;
      parts.push(piece.subarray(0, Math.max(0, SHOWN_CHARS - held)));
      held = Math.min(held + piece.length, SHOWN_CHARS);
      return;
    }
    parts.push(piece);
    held += piece.length;
  };
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let lf = chunk.indexOf(0x0a); lf !== -1; lf = chunk.indexOf(0x0a, start)) {
      keep(chunk.subarray(start, lf));
      yield finish(offset + lf + 1);
      start = lf + 1;
    }
    keep(chunk.subarray(start));
    offset += chunk.length;
  }
  if (held > 0 || oversized) yield finish(offset);
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

type Parsed = { fields: string[] } | { problem: string; open?: true };

/**
 * One record's text parsed by csv-parse as RFC 4180 says: its fields, or why it is not one
 * record. `names` are the header's, to name the field at fault.
 */
function parseRecord(text: string, delimiter: string, names: readonly string[] = []): Parsed {
  try {
    const rows = parse(text, { delimiter }) as string[][];
    if (rows.length !== 1 || !rows[0]) return { problem: 'the line is not one CSV record' };
    return { fields: rows[0] };
  } catch (error) {
    const { code, column } = error as { code?: string; column?: number };
    const field =
      column === undefined ? 'a field' : JSON.stringify(names[column] ?? `field ${column + 1}`);
    switch (code) {
      case 'CSV_QUOTE_NOT_CLOSED':
        return { problem: 'a quoted field opened on this line is never closed', open: true };
      case 'INVALID_OPENING_QUOTE':
        return {
          problem: `${field} holds a quote but is not quoted (enclose it in quotes and double the quotes inside)`,
        };
      case 'CSV_INVALID_CLOSING_QUOTE':
        return {
          problem: `${field} is quoted but holds a single quote (double the quotes inside a quoted field)`,
        };
      default:
        return { problem: `the line is not valid CSV: ${(error as Error).message}` };
    }
  }
}

/**
 * The records of a CSV file with a header line, parsed by csv-parse, and every line that is
 * not a record, each with its true line number and why. Records follow RFC 4180: a quote
 * inside an unquoted field (`12" RULER`) refuses its line, saying how to write it, rather than
 * storing a guess. A quoted field may span lines, but the record must then end
 * within MAX_RECORD_BYTES with the header's number of fields, or its first line alone is
 * refused and reading goes on at the next line (so an unbalanced quote costs one line, not
 * the rest of the file). Empty lines are skipped. A header that cannot be read ends the import.
 */
export async function* csvRecords(
  file: string,
  delimiter: string,
  maxBytes = MAX_RECORD_BYTES,
): AsyncGenerator<CsvRecord | CsvProblem> {
  const source = physicalLines(file, maxBytes);
  // Lines read ahead while looking for the end of a quoted field, not yet consumed.
  const ahead: PhysicalLine[] = [];
  const next = async (): Promise<PhysicalLine | null> => {
    const line = ahead.shift();
    if (line) return line;
    const read = await source.next();
    return read.done ? null : read.value;
  };
  let header: string[] | null = null;
  const problemOf = (line: PhysicalLine, problem: string): CsvProblem => ({
    line: line.number,
    problem,
    text: line.text.slice(0, SHOWN_CHARS),
    bytes: line.end,
  });

  for (let line = await next(); line; line = await next()) {
    if (line.problem === null && line.text === '') continue;
    let parsed: Parsed = line.problem
      ? { problem: line.problem }
      : parseRecord(line.text, delimiter, header ?? []);
    let last = line;
    if ('open' in parsed) {
      const spanned = await closeQuotedField(line, parsed, next, {
        delimiter,
        maxBytes,
        fields: header?.length,
      });
      ahead.unshift(...spanned.unread);
      parsed = spanned.parsed;
      last = spanned.last;
    }
    if (!header) {
      if ('problem' in parsed)
        throw new Error(`line ${line.number}, the header: ${parsed.problem}`);
      header = parsed.fields;
      continue;
    }
    if ('fields' in parsed && parsed.fields.length !== header.length) {
      parsed = {
        problem: `the line has ${parsed.fields.length} fields where the header has ${header.length}`,
      };
    }
    if ('problem' in parsed) {
      yield problemOf(line, parsed.problem);
      continue;
    }
    const { fields } = parsed;
    yield {
      line: line.number,
      record: Object.fromEntries(header.map((name, i) => [name, fields[i] ?? ''])),
      bytes: last.end,
    };
  }
  if (!header) throw new Error('the file has no header line');
}

/**
 * Reads lines after `first` until its open quoted field closes into one record of `fields`
 * fields,
 * within `maxBytes`. Gives the record and its last line, or `first`'s problem and every line
 * read after it, to be read again as lines of their own.
 */
async function closeQuotedField(
  first: PhysicalLine,
  open: Parsed,
  next: () => Promise<PhysicalLine | null>,
  limits: { delimiter: string; maxBytes: number; fields: number | undefined },
): Promise<{ parsed: Parsed; last: PhysicalLine; unread: PhysicalLine[] }> {
  const read: PhysicalLine[] = [];
  let text = first.text;
  let bytes = Buffer.byteLength(text);
  for (let line = await next(); line; line = await next()) {
    read.push(line);
    bytes += Buffer.byteLength(line.text) + 1;
    if (line.problem !== null || bytes > limits.maxBytes) break;
    text += `\n${line.text}`;
    // The quote can only close on a line holding a quote character.
    if (!line.text.includes('"')) continue;
    const parsed = parseRecord(text, limits.delimiter);
    if ('open' in parsed) continue;
    const { fields } = limits;
    if ('fields' in parsed && (fields === undefined || parsed.fields.length === fields)) {
      return { parsed, last: line, unread: [] };
    }
    break;
  }
  return { parsed: open, last: first, unread: read };
}
