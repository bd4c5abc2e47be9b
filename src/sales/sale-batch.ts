import { refShapeProblem, type CatalogRefs } from '../catalog/code-refs.js';
import type { IngestTimeRule } from '../ingest-time.js';
import {
  arrayLiteral as literal,
  quoted,
  saleLimits,
  saleLineProblem,
  type SaleColumns,
} from './ingest.js';

/** A sale line as recordSales' `sales` argument holds it once coerced. */
export interface SaleLine extends CatalogRefs {
  transactionId: string;
  time: Date;
  quantity: number;
  unitPrice: string;
  receiptId?: string | null;
}

/** Why line `index` of a batch is refused. */
export interface LineProblem {
  index: number;
  problem: string;
}

/**
 * One catalog reference of every line, as the distinct ids and codes the batch names: line n
 * names `ids[line[n]]` when `line[n] >= 0`, else `codes[-line[n] - 1]`, first named by line
 * `firstLine` of that code.
 */
export interface RefColumn {
  ids: string[];
  codes: string[];
  firstLine: number[];
  line: Int32Array;
}

/**
 * A recordSales batch read once, line by line, into what the resolver needs: its checks that
 * do not need the database (the first line that fails them), its times, its catalog
 * references by distinct code, and its columns. Plain data: it can be built on another thread
 * and sent to this one whole.
 */
export interface PreparedSales {
  count: number;
  /** The first line failing a check of its own (quantity, price, time, receipt), not retention. */
  lineProblem: LineProblem | null;
  /** The first line naming its store or product by both or neither of id and code. */
  shapeProblem: LineProblem | null;
  /** Each line's time, ms since the epoch. */
  times: Float64Array;
  transactionIds: string[];
  /** The order the lines are inserted in (`insertionOrder`): element k is line `order[k]`. */
  order: Int32Array;
  /** The columns in insertion order; idColumn writes the store and product ones. */
  columns: Omit<SaleColumns, 'storeIds' | 'productIds'>;
  stores: RefColumn;
  products: RefColumn;
}

class RefColumnBuilder {
  private readonly ids = new Map<string, number>();
  private readonly codes = new Map<string, number>();
  private readonly firstLine: number[] = [];
  readonly line: Int32Array;

  constructor(count: number) {
    this.line = new Int32Array(count);
  }

  add(index: number, id: string | null | undefined, code: string | null | undefined): void {
    if (code == null) {
      const key = (id ?? '').toLowerCase();
      let n = this.ids.get(key);
      if (n === undefined) {
        n = this.ids.size;
        this.ids.set(key, n);
      }
      this.line[index] = n;
      return;
    }
    let n = this.codes.get(code);
    if (n === undefined) {
      n = this.codes.size;
      this.codes.set(code, n);
      this.firstLine.push(index);
    }
    this.line[index] = -n - 1;
  }

  build(): RefColumn {
    return {
      ids: [...this.ids.keys()],
      codes: [...this.codes.keys()],
      firstLine: this.firstLine,
      line: this.line,
    };
  }
}

const DAY_MS = 86_400_000;

/**
 * The order a batch's lines are inserted in: first the first line of each transaction id,
 * grouped by store, UTC day and product, so that each rollup row (store, product, hour or day)
 * is written by one chunk of an upload rather than by each (the rollup trigger runs once a
 * statement, and a row written again is an update of a row the transaction wrote: the chunks
 * of 500 lines of a 5 000-line upload in batch order did twice the rollup work of one
 * statement); a receipt's lines stay together in batch order, since its first recorded line
 * opens it. Then the later lines of an id, in batch order. What is stored, the duplicates and
 * the conflicts are those of batch order: ids are unique among the first lines, and the first
 * line of an id is the one stored.
 */
export function insertionOrder(
  transactionIds: readonly string[],
  times: Float64Array,
  stores: Int32Array,
  products: Int32Array,
  receipts: readonly (string | null | undefined)[],
): Int32Array {
  const seen = new Set<string>();
  const firsts: number[] = [];
  const repeats: number[] = [];
  transactionIds.forEach((id, index) => {
    const key = id.toLowerCase();
    if (seen.has(key)) {
      repeats.push(index);
    } else {
      seen.add(key);
      firsts.push(index);
    }
  });
  const at = (column: Int32Array | Float64Array, index: number) => column[index] ?? 0;
  // A store named by id on one line and by code on another would split its receipts' lines.
  const mixed = stores.some((n) => n < 0) && stores.some((n) => n >= 0);
  if (!mixed) {
    // A receipt's lines sort on the day of its first line, then together.
    const day = new Float64Array(times.length);
    const receiptDay = new Map<string, number>();
    for (const index of firsts) {
      day[index] = Math.floor(at(times, index) / DAY_MS);
      const receipt = receipts[index];
      if (receipt == null) continue;
      const key = `${at(stores, index)}|${receipt}`;
      const first = receiptDay.get(key);
      if (first === undefined) receiptDay.set(key, at(day, index));
      else day[index] = first;
    }
    firsts.sort((a, b) => {
      const receiptA = receipts[a];
      const receiptB = receipts[b];
      const byPlace =
        at(stores, a) - at(stores, b) ||
        at(day, a) - at(day, b) ||
        Number(receiptA != null) - Number(receiptB != null);
      if (byPlace !== 0) return byPlace;
      if (receiptA != null && receiptB != null) {
        return receiptA < receiptB ? -1 : receiptA > receiptB ? 1 : a - b;
      }
      return at(products, a) - at(products, b) || at(times, a) - at(times, b) || a - b;
    });
  }
  return Int32Array.from([...firsts, ...repeats]);
}

/**
 * Reads a batch of coerced lines into a PreparedSales, with the time limits of `now`. Lines
 * are checked in order, as recordSales reports them: the first failing line is named.
 */
export function prepareSales(
  lines: readonly SaleLine[],
  times: IngestTimeRule,
  now: number = Date.now(),
): PreparedSales {
  // Retention needs the tenant's horizon from the database: it is checked apart.
  const limits = saleLimits(new Date(-8.64e15), '', times, now);
  const count = lines.length;
  const instants = new Float64Array(count);
  const transactionIds: string[] = new Array<string>(count);
  const ids: string[] = new Array<string>(count);
  const isoTimes: string[] = new Array<string>(count);
  const quantities: string[] = new Array<string>(count);
  const prices: string[] = new Array<string>(count);
  const receipts: string[] = new Array<string>(count);
  const receiptIds: (string | null | undefined)[] = new Array<string | null | undefined>(count);
  const stores = new RefColumnBuilder(count);
  const products = new RefColumnBuilder(count);
  let lineProblem: LineProblem | null = null;
  let shapeProblem: LineProblem | null = null;
  for (let index = 0; index < count; index += 1) {
    const line = lines[index] as SaleLine;
    if (lineProblem === null) {
      const problem = saleLineProblem(line, limits);
      if (problem !== null) lineProblem = { index, problem };
    }
    if (shapeProblem === null) {
      const problem = refShapeProblem(line);
      if (problem !== null) shapeProblem = { index, problem };
    }
    const time = line.time.getTime();
    instants[index] = time;
    transactionIds[index] = line.transactionId;
    ids[index] = quoted(line.transactionId);
    isoTimes[index] = Number.isNaN(time) ? 'NULL' : quoted(line.time.toISOString());
    quantities[index] = quoted(String(line.quantity));
    prices[index] = quoted(line.unitPrice);
    receipts[index] = line.receiptId == null ? 'NULL' : quoted(line.receiptId);
    receiptIds[index] = line.receiptId;
    stores.add(index, line.storeId, line.storeCode);
    products.add(index, line.productId, line.sku);
  }
  const storeRefs = stores.build();
  const productRefs = products.build();
  const order = insertionOrder(
    transactionIds,
    instants,
    storeRefs.line,
    productRefs.line,
    receiptIds,
  );
  const ordered = (elements: string[]) =>
    literal(Array.from(order, (index) => elements[index] as string));
  return {
    count,
    lineProblem,
    shapeProblem,
    times: instants,
    transactionIds,
    order,
    columns: {
      transactionIds: ordered(ids),
      times: ordered(isoTimes),
      quantities: ordered(quantities),
      unitPrices: ordered(prices),
      receiptIds: ordered(receipts),
    },
    stores: storeRefs,
    products: productRefs,
  };
}

/**
 * The id column of `refs` in insertion `order` with each code replaced by its id in `byCode`,
 * and the first line naming a code that is not there (the column is then of no use).
 */
export function idColumn(
  refs: RefColumn,
  byCode: ReadonlyMap<string, string>,
  order: Int32Array,
): { column: string; unknown: { index: number; code: string } | null } {
  let unknown: { index: number; code: string } | null = null;
  const codeIds = refs.codes.map((code, n) => {
    const id = byCode.get(code);
    const index = refs.firstLine[n] ?? 0;
    if (id === undefined && (unknown === null || index < unknown.index)) unknown = { index, code };
    return quoted(id ?? '');
  });
  const quotedIds = refs.ids.map(quoted);
  const elements = new Array<string>(order.length);
  for (let k = 0; k < order.length; k += 1) {
    const n = refs.line[order[k] as number] as number;
    elements[k] = (n >= 0 ? quotedIds[n] : codeIds[-n - 1]) as string;
  }
  return { column: literal(elements), unknown };
}
