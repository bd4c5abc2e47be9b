import { countArgument, userError } from './errors.js';

/** The largest page any connection returns, whatever `first` asks for. */
export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 50;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

/** Validates `first` against the server cap and returns the page size. */
export function pageSize(first: number | null | undefined): number {
  return countArgument(first, 'first', MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE);
}

const KEY_PARTS = {
  text: /^[\s\S]{0,500}$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  date: /^\d{4}-\d{2}-\d{2}$/,
  instant: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/,
};
type KeyPart = keyof typeof KEY_PARTS;

/**
 * A key parser for `decodeCursor` that accepts exactly these parts, each a string of its kind,
 * so a forged cursor is refused here instead of failing a cast in SQL.
 */
export function cursorKey<const P extends readonly KeyPart[]>(...kinds: P) {
  return (parts: unknown[]): { [K in keyof P]: string } | null =>
    parts.length === kinds.length &&
    parts.every((part, i) => {
      const kind = kinds[i];
      return typeof part === 'string' && kind !== undefined && KEY_PARTS[kind].test(part);
    })
      ? (parts as { [K in keyof P]: string })
      : null;
}

/** Encodes a keyset position of list `kind` as an opaque cursor. */
export function encodeCursor(kind: string, key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([kind, ...key])).toString('base64url');
}

/**
 * Decodes a cursor made by `encodeCursor` for list `kind`, checking the shape of each key part
 * with `parts`; a cursor from another list or a forged one is a BAD_USER_INPUT error.
 */
export function decodeCursor<T extends readonly unknown[]>(
  kind: string,
  cursor: string | null | undefined,
  parse: (parts: unknown[]) => T | null,
): T | null {
  if (cursor === null || cursor === undefined) return null;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = null;
  }
  const key =
    Array.isArray(decoded) && decoded[0] === kind ? parse(decoded.slice(1) as unknown[]) : null;
  if (key === null) {
    throw userError(`after is not a cursor of this ${kind} list`, 'BAD_USER_INPUT', {
      argument: 'after',
    });
  }
  return key;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}

/** An edge whose cursor is encoded only when a client asks for it. */
class Edge<T> {
  constructor(
    readonly node: T,
    private readonly cursorOf: (row: T) => string,
  ) {}

  get cursor(): string {
    return this.cursorOf(this.node);
  }
}

/**
 * Builds a Relay connection from `limit + 1` fetched rows. Cursors are encoded on demand: most
 * pages are read without them, and a page of 500 would encode 500.
 */
export function toConnection<T>(
  rows: readonly T[],
  limit: number,
  cursorOf: (row: T) => string,
  hasPrevious: boolean,
): Connection<T> {
  const edges = rows.slice(0, limit).map((node) => new Edge(node, cursorOf));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > limit,
      hasPreviousPage: hasPrevious,
      get startCursor() {
        return edges[0]?.cursor ?? null;
      },
      get endCursor() {
        return edges.at(-1)?.cursor ?? null;
      },
    },
  };
}
