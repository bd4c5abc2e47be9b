import { builder } from '../builder.js';
import { productIdsBySku, storeIdsByCode } from '../catalog/catalog-store.js';
import { unknownCodeProblem } from '../catalog/code-refs.js';
import { tenantRetention } from '../analytics/data-freshness.js';
import type { GraphQLContext } from '../context.js';
import { userError } from '../errors.js';
import { insertSaleChunks } from './chunked-insert.js';
import { MAX_QUANTITY, MAX_RECEIPT_ID } from './ingest.js';
import { retentionHorizon, retentionProblem } from './retention.js';
import { idColumn, prepareSales, type PreparedSales } from './sale-batch.js';

/** The most sale lines one recordSales call takes. */
export const MAX_SALES_BATCH = 5000;

const SaleInputRef = builder.inputType('SaleInput', {
  description: 'One POS sale line.',
  fields: (t) => ({
    transactionId: t.field({
      type: 'UUID',
      required: true,
      description:
        'Idempotency key, unique per tenant: the same id with the same content again is a duplicate, with other content a CONFLICT.',
    }),
    time: t.field({ type: 'DateTime', required: true, description: 'When it was sold.' }),
    storeId: t.field({ type: 'UUID', description: 'Store that sold it (or storeCode).' }),
    storeCode: t.string({ description: 'Code of the store that sold it (or storeId).' }),
    productId: t.field({ type: 'UUID', description: 'Product sold (or sku).' }),
    sku: t.string({ description: 'SKU of the product sold (or productId).' }),
    quantity: t.int({
      required: true,
      description: `Units sold, 1 to ${MAX_QUANTITY}; a return is negative, -1 to -${MAX_QUANTITY}.`,
    }),
    unitPrice: t.field({
      type: 'Decimal',
      required: true,
      description: 'Price per unit, at most 2 decimals.',
    }),
    receiptId: t.string({
      description: `The receipt (basket) the line was rung up on, 1 to ${MAX_RECEIPT_ID} characters; unique per store (the same id in two stores is two receipts). A return rung up on its own receipt has its own id. Optional: lines without one count in no basket figure.`,
    }),
  }),
});

const RecordSalesPayload = builder
  .objectRef<{ accepted: number; duplicates: number }>('RecordSalesPayload')
  .implement({
    description: 'Outcome of a sales upload.',
    fields: (t) => ({
      accepted: t.exposeInt('accepted', { description: 'New sale lines stored.' }),
      duplicates: t.exposeInt('duplicates', {
        description:
          'Lines skipped because their transaction id was already stored with the same content.',
      }),
    }),
  });

/** Refuses a batch without lines or with more than a call takes. */
function checkSize(sales: PreparedSales): void {
  if (sales.count === 0) throw userError('sales must contain at least one sale');
  if (sales.count > MAX_SALES_BATCH) {
    throw userError(`sales may contain at most ${MAX_SALES_BATCH} lines per call; split the batch`);
  }
}

/**
 * Refuses the first line older than the tenant's retention horizon among the lines before
 * `before` (the first line failing a check of its own is named first only when no earlier
 * line is too old).
 */
function checkRetention(sales: PreparedSales, retention: string, before = sales.count): void {
  const horizon = retentionHorizon(retention);
  const oldest = horizon.getTime();
  for (let index = 0; index < before; index += 1) {
    const time = sales.times[index] as number;
    if (time < oldest) {
      throw userError(`sales[${index}].${retentionProblem(new Date(time), horizon, retention)}`);
    }
  }
}

/**
 * Refuses a batch as recordSales always has: the first line failing its own checks or the
 * tenant's retention, then the first naming its store or product by both or neither of id and
 * code. Only a batch already refused needs the retention before its insert (which reads it).
 */
async function checkLines(sales: PreparedSales, ctx: GraphQLContext): Promise<void> {
  const { lineProblem, shapeProblem } = sales;
  if (!lineProblem && !shapeProblem) return;
  checkRetention(sales, await tenantRetention(ctx), lineProblem?.index);
  if (lineProblem) throw userError(`sales[${lineProblem.index}].${lineProblem.problem}`);
  if (shapeProblem) throw userError(`sales[${shapeProblem.index}]: ${shapeProblem.problem}`);
}

/**
 * The store and product columns of a checked batch, its codes and SKUs read under the
 * caller's row-level security; the first line naming an unknown one fails the call (after
 * any line older than the retention horizon, as the insert would have found it).
 */
async function refColumns(ctx: GraphQLContext, sales: PreparedSales) {
  const { db } = ctx;
  const { stores, products } = sales;
  const storeByCode = stores.codes.length
    ? await storeIdsByCode(db, stores.codes)
    : new Map<string, string>();
  const productBySku = products.codes.length
    ? await productIdsBySku(db, products.codes)
    : new Map<string, string>();
  const storeIds = idColumn(stores, storeByCode, sales.order);
  const productIds = idColumn(products, productBySku, sales.order);
  const store = storeIds.unknown;
  const product = productIds.unknown;
  if (store || product) checkRetention(sales, await tenantRetention(ctx));
  // A line's store is checked before its product.
  if (store && (!product || store.index <= product.index)) {
    throw userError(
      `sales[${store.index}].${unknownCodeProblem('storeCode', store.code, 'stores')}`,
      'NOT_FOUND',
    );
  }
  if (product) {
    throw userError(
      `sales[${product.index}].${unknownCodeProblem('sku', product.code, 'products')}`,
      'NOT_FOUND',
    );
  }
  return { storeIds: storeIds.column, productIds: productIds.column };
}

builder.mutationField('recordSales', (t) =>
  t.field({
    type: RecordSalesPayload,
    description: `Stores a batch of POS sale lines (at most ${MAX_SALES_BATCH}), idempotent on transaction id; negative quantities are returns. Lines older than the tenant's retention horizon (viewer.retention) are refused. Rollups include them, back-dated ones too, once this returns.`,
    authScopes: { writer: true },
    args: { sales: t.arg({ type: [SaleInputRef], required: true }) },
    resolve: async (_root, args, ctx) => {
      // An upload's lines were read off the main thread when its body was (`sales` is then
      // empty); a small body's are read here.
      const sales = ctx.preparedSales ?? prepareSales(args.sales, ctx.ingestTimes);
      checkSize(sales);
      await checkLines(sales, ctx);
      const columns = { ...sales.columns, ...(await refColumns(ctx, sales)) };
      const { accepted, duplicates, conflicts, retention, tooOld } = await insertSaleChunks(
        ctx.db,
        columns,
        sales.order,
        ctx.bulkInsert,
        ctx.retention,
      );
      // A line too old stored nothing (or rolls back with the refusal, within the day the
      // gateway's horizon keeps inside the database's).
      checkRetention(sales, retention);
      if (tooOld) throw new Error('the database refused lines that retentionHorizon accepts');
      const [conflict] = conflicts;
      if (conflict) {
        throw userError(
          `sales[${conflict.index}].transactionId ${sales.transactionIds[conflict.index]} is already stored with other content (time ${conflict.storedTime.toISOString()}); a transaction id names one sale line`,
          'CONFLICT',
          { index: conflict.index },
        );
      }
      let earliest = Infinity;
      let latest = -Infinity;
      for (const time of sales.times) {
        earliest = Math.min(earliest, time);
        latest = Math.max(latest, time);
      }
      const from = new Date(earliest);
      const to = new Date(latest + 1);
      // Even a batch of duplicates marks its range: it may be the retry of a write whose
      // refresh failed, and it promises rollups that include it.
      await ctx.rollups.markSalesStale(from, to);
      return { accepted, duplicates };
    },
  }),
);
