import { stat, writeFile } from 'node:fs/promises';
import { productIdsBySku, storeIdsByCode } from '../catalog/catalog-store.js';
import { resolveCatalogRefs } from '../catalog/code-refs.js';
import { costFromConflict, productProblem, storeProblem } from '../catalog/upsert-rules.js';
import {
  costFromConflicts,
  upsertProducts,
  upsertStores,
  type ProductUpsert,
  type StoreUpsert,
} from '../catalog/upsert-store.js';
import type { Backend } from '../db/migrate.js';
import type { Pool } from '../db/pool.js';
import { RequestDb } from '../db/request-db.js';
import { refreshSalesRollups } from '../db/rollups.js';
import { insertSales, saleLimits, saleLineProblem, type SaleInput } from '../sales/ingest.js';
import { retentionHorizon } from '../sales/retention.js';
import { csvRecords } from './csv-records.js';
import {
  dateParser,
  decimalOf,
  derivedUuid,
  valueOf,
  type Mapping,
  type Source,
} from './mapping.js';

/** What is imported from a file. */
export type ImportKind = 'sales' | 'stores' | 'products';

/** Where and how an import runs. */
export interface ImportOptions {
  kind: ImportKind;
  file: string;
  tenantId: string;
  mapping: Mapping;
  pool: Pool;
  backend: Backend;
  retention: string;
  /** Lines per transaction (at most 5000, the API's batch limit). */
  batchSize: number;
  /**
   * Where refused lines go, one per line: line number, reason, the record as JSON (or the
   * line's text as a JSON string when it is no CSV record).
   */
  refusedFile: string;
  /** Called about once a second and at the end. */
  progress?: (p: ImportProgress) => void;
  /**
   * Called once a batch that stored lines has committed, and again once the rollups include
   * them: where the tenant's cached answers must be told that its data changed.
   */
  stored?: () => Promise<void>;
}

/** Progress of a running import. */
export interface ImportProgress {
  lines: number;
  bytes: number;
  totalBytes: number;
  elapsedMs: number;
}

/** What an import did. */
export interface ImportSummary {
  lines: number;
  accepted: number;
  duplicates: number;
  refused: number;
  /** Refusals grouped by reason, most frequent first (the reason without its values). */
  reasons: { reason: string; count: number; example: string }[];
  elapsedMs: number;
}

interface Refusal {
  line: number;
  reason: string;
  /** The record by column, or the text of a line that is no record. */
  record: Record<string, string> | string;
}

interface Row {
  line: number;
  record: Record<string, string>;
}

/** The statement timeout of an import's transactions: batches are large, and nobody waits. */
const IMPORT_STATEMENT_TIMEOUT_MS = 600_000;

async function inTenant<T>(opts: ImportOptions, work: (db: RequestDb) => Promise<T>): Promise<T> {
  const db = new RequestDb(opts.pool, {
    customerId: opts.tenantId,
    role: 'admin',
    storeIds: null,
    statementTimeoutMs: IMPORT_STATEMENT_TIMEOUT_MS,
  });
  try {
    const result = await work(db);
    await db.finish('commit');
    return result;
  } catch (error) {
    await db.finish('rollback');
    throw error;
  }
}

/**
 * Streams a CSV file into the tenant's data in batches, each its own transaction, through the
 * same validation and idempotency as the API (recordSales, upsertStores, upsertProducts):
 * refused lines are written to `refusedFile` with their line number and reason, and a re-run
 * stores nothing twice (lines already stored count as duplicates).
 */
export async function importFile(opts: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const totalBytes = (await stat(opts.file)).size;
  const refusals: Refusal[] = [];
  const totals = { lines: 0, accepted: 0, duplicates: 0 };
  const span = { from: Infinity, to: -Infinity };
  const batch: Row[] = [];
  let lastReport = Date.now();
  let reportedLines = -1;
  const report = (bytes: number) => {
    reportedLines = totals.lines;
    opts.progress?.({ lines: totals.lines, bytes, totalBytes, elapsedMs: Date.now() - started });
  };

  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch.splice(0, batch.length);
    const outcome =
      opts.kind === 'sales'
        ? await importSalesBatch(opts, rows, span)
        : await importCatalogBatch(opts, rows);
    totals.accepted += outcome.accepted;
    totals.duplicates += outcome.duplicates;
    refusals.push(...outcome.refused);
    if (outcome.accepted > 0) await opts.stored?.();
  };

  for await (const item of csvRecords(opts.file, opts.mapping.delimiter)) {
    totals.lines += 1;
    if ('problem' in item) {
      refusals.push({ line: item.line, reason: item.problem, record: item.text });
    } else {
      batch.push({ line: item.line, record: item.record });
    }
    if (batch.length >= opts.batchSize) {
      await flush();
      if (Date.now() - lastReport >= 1000) {
        lastReport = Date.now();
        report(item.bytes);
      }
    }
  }
  await flush();
  // The last batch may have just been reported: the final line is printed once.
  if (reportedLines !== totals.lines) report(totalBytes);
  if (opts.kind === 'sales' && totals.accepted > 0) {
    await refreshSalesRollups(opts.pool, opts.backend, new Date(span.from), new Date(span.to + 1));
    await opts.stored?.();
  }
  // Lines that are no record are refused as they are read, the others batch by batch.
  refusals.sort((x, y) => x.line - y.line);
  await writeFile(
    opts.refusedFile,
    [
      'line\treason\trecord',
      ...refusals.map((r) => `${r.line}\t${r.reason}\t${JSON.stringify(r.record)}`),
    ].join('\n') + '\n',
  );
  return {
    ...totals,
    refused: refusals.length,
    reasons: groupReasons(refusals),
    elapsedMs: Date.now() - started,
  };
}

function groupReasons(refusals: readonly Refusal[]): ImportSummary['reasons'] {
  const groups = new Map<string, { reason: string; count: number; example: string }>();
  for (const r of refusals) {
    // Values (times, codes, ids) vary; the kind of refusal is the text around them.
    const reason = r.reason.replace(/"[^"]*"|\b\d[\d\-:.TZ]*\b|[0-9a-f]{8}-[0-9a-f-]{27}/g, '…');
    const group = groups.get(reason) ?? {
      reason,
      count: 0,
      example: `line ${r.line}: ${r.reason}`,
    };
    group.count += 1;
    groups.set(reason, group);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

interface BatchOutcome {
  accepted: number;
  duplicates: number;
  refused: Refusal[];
}

interface ParsedSale extends SaleInput {
  storeCode: string;
  sku: string;
}

function parseSale(
  opts: ImportOptions,
  row: Row,
  when: (text: string) => Date | null,
): ParsedSale | string {
  const m = opts.mapping.sales;
  if (!m) return 'the mapping has no "sales" section';
  const r = row.record;
  const id =
    typeof m.transactionId === 'object' && 'hashOf' in m.transactionId
      ? derivedUuid(
          opts.tenantId,
          m.transactionId.hashOf.map((c) => valueOf(r, c)),
        )
      : valueOf(r, m.transactionId);
  const time = when(valueOf(r, m.time));
  if (!time) return `time ${JSON.stringify(valueOf(r, m.time))} matches none of the dateFormats`;
  const quantityText = valueOf(r, m.quantity);
  let quantity = Number(quantityText);
  if (!/^-?\d+$/.test(quantityText))
    return `quantity ${JSON.stringify(quantityText)} is not a whole number`;
  if (m.returnWhen && valueOf(r, m.returnWhen.column).startsWith(m.returnWhen.startsWith)) {
    quantity = -Math.abs(quantity);
  }
  const unitPrice = decimalOf(valueOf(r, m.unitPrice), opts.mapping.decimal);
  if (unitPrice === null)
    return `unitPrice ${JSON.stringify(valueOf(r, m.unitPrice))} is not a number`;
  const storeCode = valueOf(r, m.storeCode);
  const sku = valueOf(r, m.sku);
  const receiptId = m.receiptId === undefined ? null : valueOf(r, m.receiptId) || null;
  return {
    transactionId: id,
    time,
    storeId: '',
    productId: '',
    storeCode,
    sku,
    quantity,
    unitPrice,
    receiptId,
  };
}

const parsers = new WeakMap<Mapping, (text: string) => Date | null>();

/** The mapping's parser of local date-times, made once per mapping. */
function parserOf(mapping: Mapping): (text: string) => Date | null {
  let when = parsers.get(mapping);
  if (!when) {
    when = dateParser(mapping.dateFormats, mapping.timeZone);
    parsers.set(mapping, when);
  }
  return when;
}

async function importSalesBatch(
  opts: ImportOptions,
  rows: readonly Row[],
  span: { from: number; to: number },
): Promise<BatchOutcome> {
  const when = parserOf(opts.mapping);
  const limits = saleLimits(retentionHorizon(opts.retention), opts.retention);
  const refused: Refusal[] = [];
  const candidates: { row: Row; sale: ParsedSale }[] = [];
  for (const row of rows) {
    const sale = parseSale(opts, row, when);
    const problem = typeof sale === 'string' ? sale : saleLineProblem(sale, limits);
    if (typeof sale === 'string' || problem) {
      refused.push({ line: row.line, reason: problem ?? String(sale), record: row.record });
    } else {
      candidates.push({ row, sale });
    }
  }
  if (candidates.length === 0) return { accepted: 0, duplicates: 0, refused };
  return inTenant(opts, async (db) => {
    const breaksRules = await createMissing(db, opts, candidates);
    const refs = await resolveCatalogRefs(
      db,
      candidates.map((c) => ({ storeCode: c.sale.storeCode, sku: c.sale.sku })),
    );
    const lines: SaleInput[] = [];
    const lineRows: Row[] = [];
    candidates.forEach((c, i) => {
      const ref = refs[i];
      const rule = breaksRules.get(c.row);
      if (rule || !ref || 'problem' in ref) {
        refused.push({
          line: c.row.line,
          reason: rule ?? (ref && 'problem' in ref ? ref.problem : 'unresolved'),
          record: c.row.record,
        });
        return;
      }
      lines.push({ ...c.sale, ...ref });
      lineRows.push(c.row);
    });
    if (lines.length === 0) return { accepted: 0, duplicates: 0, refused };
    const outcome = await insertSales(db, lines);
    for (const conflict of outcome.conflicts) {
      const row = lineRows[conflict.index];
      if (!row) continue;
      refused.push({
        line: row.line,
        reason: `transactionId ${lines[conflict.index]?.transactionId} is already stored with other content (time ${conflict.storedTime.toISOString()})`,
        record: row.record,
      });
    }
    for (const l of lines) {
      span.from = Math.min(span.from, l.time.getTime());
      span.to = Math.max(span.to, l.time.getTime());
    }
    return { accepted: outcome.accepted, duplicates: outcome.duplicates, refused };
  });
}

/**
 * Creates the stores and products the mapping says how to create when the lines name unknown
 * ones, each from the first line naming it whose new store (or product) passes the rules of
 * upsertStores (or upsertProducts). Gives the lines left without a store or product because
 * theirs broke those rules, with why.
 */
async function createMissing(
  db: RequestDb,
  opts: ImportOptions,
  candidates: readonly { row: Row; sale: ParsedSale }[],
): Promise<Map<Row, string>> {
  const refused = new Map<Row, string>();
  const { createStores, createProducts } = opts.mapping;
  if (!createStores && !createProducts) return refused;
  const codes = [...new Set(candidates.map((c) => c.sale.storeCode))];
  const skus = [...new Set(candidates.map((c) => c.sale.sku))];
  const knownStores = createStores ? await storeIdsByCode(db, codes) : null;
  const knownProducts = createProducts ? await productIdsBySku(db, skus) : null;
  const stores = new Map<string, StoreUpsert>();
  const products = new Map<string, ProductUpsert>();
  const lines = candidates.map(({ row, sale }) => {
    const r = row.record;
    const store: StoreUpsert | null =
      createStores && knownStores && !knownStores.has(sale.storeCode)
        ? {
            code: sale.storeCode,
            name: valueOf(r, createStores.name) || sale.storeCode,
            region: valueOf(r, createStores.region) || sale.storeCode,
            timeZone: valueOf(r, createStores.timeZone),
            sizeSqm: null,
            openedOn: null,
            retired: false,
          }
        : null;
    const product: ProductUpsert | null =
      createProducts && knownProducts && !knownProducts.has(sale.sku)
        ? {
            sku: sale.sku,
            name: valueOf(r, createProducts.name) || sale.sku,
            category: valueOf(r, createProducts.category) || 'Uncategorised',
            unitPrice: createProducts.unitPrice
              ? (decimalOf(valueOf(r, createProducts.unitPrice), opts.mapping.decimal) ?? '0')
              : sale.unitPrice,
            cost: costOf(r, createProducts.cost, opts) ?? null,
            costFrom: null,
            retired: false,
          }
        : null;
    return {
      row,
      store: store && { upsert: store, rule: storeProblem(store) },
      product: product && { upsert: product, rule: productProblem(product) },
    };
  });
  for (const { store, product } of lines) {
    if (store?.rule === null && !stores.has(store.upsert.code)) {
      stores.set(store.upsert.code, store.upsert);
    }
    if (product?.rule === null && !products.has(product.upsert.sku)) {
      products.set(product.upsert.sku, product.upsert);
    }
  }
  // A line whose own new store or product breaks the rules is stored when another line of the
  // batch creates them, so the outcome does not depend on the order of the lines.
  for (const { row, store, product } of lines) {
    if (store?.rule && !stores.has(store.upsert.code)) {
      refused.set(row, `new store: ${store.rule}`);
    } else if (product?.rule && !products.has(product.upsert.sku)) {
      refused.set(row, `new product: ${product.rule}`);
    }
  }
  if (stores.size > 0) await upsertStores(db, [...stores.values()]);
  if (products.size > 0) await upsertProducts(db, [...products.values()]);
  return refused;
}

/** A catalog line as read, or why it cannot be read. */
type ReadLine<T> = { row: Row; line: T } | { row: Row; problem: string };

function readStore(opts: ImportOptions, row: Row): StoreUpsert {
  const m = opts.mapping.stores;
  if (!m) throw new Error('the mapping has no "stores" section');
  return {
    code: valueOf(row.record, m.code),
    name: valueOf(row.record, m.name),
    region: valueOf(row.record, m.region),
    timeZone: valueOf(row.record, m.timeZone),
    sizeSqm: null,
    openedOn: null,
    retired: false,
  };
}

function readProduct(opts: ImportOptions, row: Row): ProductUpsert | string {
  const m = opts.mapping.products;
  if (!m) throw new Error('the mapping has no "products" section');
  const price = valueOf(row.record, m.unitPrice);
  const unitPrice = decimalOf(price, opts.mapping.decimal);
  if (unitPrice === null) return `unitPrice ${JSON.stringify(price)} is not a number`;
  const cost = costOf(row.record, m.cost, opts);
  if (cost === undefined)
    return `cost ${JSON.stringify(valueOf(row.record, m.cost ?? ''))} is not a number`;
  const from = m.costFrom ? valueOf(row.record, m.costFrom) : '';
  const costFrom = from === '' ? null : parserOf(opts.mapping)(from);
  if (from !== '' && costFrom === null)
    return `costFrom ${JSON.stringify(from)} matches none of the dateFormats`;
  return {
    sku: valueOf(row.record, m.sku),
    name: valueOf(row.record, m.name),
    category: valueOf(row.record, m.category),
    unitPrice,
    cost,
    costFrom,
    retired: false,
  };
}

/** A product's unit cost from its line: null when unmapped or empty, undefined when not a number. */
function costOf(
  record: Record<string, string>,
  source: Source | undefined,
  opts: ImportOptions,
): string | null | undefined {
  const value = source ? valueOf(record, source) : '';
  return value === '' ? null : (decimalOf(value, opts.mapping.decimal) ?? undefined);
}

/** What a catalog upsert did; `refused`: reasons by key for lines it left out. */
interface CatalogOutcome {
  created: number;
  updated: number;
  refused?: Map<string, string>;
}

/**
 * Upserts the batch's lines that pass the API's checks (upsertStores, upsertProducts) in one
 * transaction and refuses the others, each with its line number and reason. An identical
 * re-run changes nothing: its lines count as already stored.
 */
async function upsertCatalogLines<T>(
  opts: ImportOptions,
  rows: readonly Row[],
  read: (row: Row) => T | string,
  problemOf: (line: T) => string | null,
  keyOf: (line: T) => string,
  upsert: (db: RequestDb, lines: T[]) => Promise<CatalogOutcome>,
): Promise<BatchOutcome> {
  const lines: ReadLine<T>[] = rows.map((row) => {
    const line = read(row);
    if (typeof line === 'string') return { row, problem: line };
    const problem = problemOf(line);
    return problem === null ? { row, line } : { row, problem };
  });
  const refused = lines.flatMap((l) =>
    'problem' in l ? [{ line: l.row.line, reason: l.problem, record: l.row.record }] : [],
  );
  const valid = lines.flatMap((l) => ('line' in l ? [l] : []));
  if (valid.length === 0) return { accepted: 0, duplicates: 0, refused };
  const done = await inTenant(opts, (db) =>
    upsert(
      db,
      dedupe(
        valid.map((l) => l.line),
        keyOf,
      ),
    ),
  );
  const left = valid.flatMap((l) => {
    const reason = done.refused?.get(keyOf(l.line));
    return reason === undefined ? [] : [{ line: l.row.line, reason, record: l.row.record }];
  });
  const changed = done.created + done.updated;
  return {
    accepted: changed,
    duplicates: valid.length - left.length - changed,
    refused: [...refused, ...left].sort((a, b) => a.line - b.line),
  };
}

/**
 * upsertProducts, leaving out the products whose new cost would start no later than their
 * current one (refused with the reason upsertProducts gives).
 */
async function upsertDatedProducts(
  db: RequestDb,
  products: ProductUpsert[],
): Promise<CatalogOutcome> {
  const conflicts = await costFromConflicts(db, products);
  const refused = new Map<string, string>();
  for (const p of products) {
    const currentFrom = conflicts.get(p.sku);
    if (currentFrom && p.costFrom) refused.set(p.sku, costFromConflict(p.costFrom, currentFrom));
  }
  const kept = products.filter((p) => !refused.has(p.sku));
  const done = kept.length > 0 ? await upsertProducts(db, kept) : { created: 0, updated: 0 };
  return { created: done.created, updated: done.updated, refused };
}

function importCatalogBatch(opts: ImportOptions, rows: readonly Row[]): Promise<BatchOutcome> {
  return opts.kind === 'stores'
    ? upsertCatalogLines(
        opts,
        rows,
        (row) => readStore(opts, row),
        storeProblem,
        (s) => s.code,
        upsertStores,
      )
    : upsertCatalogLines(
        opts,
        rows,
        (row) => readProduct(opts, row),
        (p) => productProblem(p),
        (p) => p.sku,
        upsertDatedProducts,
      );
}

/** The last line of each key wins, as it would in a sequence of upserts. */
function dedupe<T>(lines: readonly T[], keyOf: (line: T) => string): T[] {
  return [...new Map(lines.map((l) => [keyOf(l), l])).values()];
}
