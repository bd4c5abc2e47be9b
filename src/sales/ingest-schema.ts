import { builder } from '../builder.js';
import { requireCatalogRefs, type CatalogRefs } from '../catalog/code-refs.js';
import { userError } from '../errors.js';
import type { IngestTimeRule } from '../ingest-time.js';
import {
  insertSales,
  MAX_QUANTITY,
  MAX_RECEIPT_ID,
  saleLimits,
  saleLineProblem,
} from './ingest.js';
import { tenantRetention } from '../tenants/tenant-store.js';
import { retentionHorizon } from './retention.js';

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

interface SaleLine extends CatalogRefs {
  transactionId: string;
  time: Date;
  quantity: number;
  unitPrice: string;
  receiptId?: string | null;
}

function validateSales(sales: readonly SaleLine[], retention: string, times: IngestTimeRule): void {
  if (sales.length === 0) throw userError('sales must contain at least one sale');
  if (sales.length > MAX_SALES_BATCH) {
    throw userError(`sales may contain at most ${MAX_SALES_BATCH} lines per call; split the batch`);
  }
  const limits = saleLimits(retentionHorizon(retention), retention, times);
  sales.forEach((s, index) => {
    const problem = saleLineProblem(s, limits);
    if (problem) throw userError(`sales[${index}].${problem}`);
  });
}

builder.mutationField('recordSales', (t) =>
  t.field({
    type: RecordSalesPayload,
    description: `Stores a batch of POS sale lines (at most ${MAX_SALES_BATCH}), idempotent on transaction id; negative quantities are returns. Lines older than the tenant's retention horizon (viewer.retention) are refused. Rollups include them, back-dated ones too, once this returns.`,
    authScopes: { writer: true },
    args: { sales: t.arg({ type: [SaleInputRef], required: true }) },
    resolve: async (_root, args, ctx) => {
      validateSales(args.sales, await tenantRetention(ctx.db, ctx.retention), ctx.ingestTimes);
      const lines = await requireCatalogRefs(ctx.db, args.sales, 'sales');
      const { accepted, duplicates, conflicts } = await insertSales(ctx.db, lines);
      const [conflict] = conflicts;
      if (conflict) {
        const line = args.sales[conflict.index];
        throw userError(
          `sales[${conflict.index}].transactionId ${line?.transactionId} is already stored with other content (time ${conflict.storedTime.toISOString()}); a transaction id names one sale line`,
          'CONFLICT',
          { index: conflict.index },
        );
      }
      const times = args.sales.map((s) => s.time.getTime());
      const from = new Date(Math.min(...times));
      const to = new Date(Math.max(...times) + 1);
      // Even a batch of duplicates marks its range: it may be the retry of a write whose
      // refresh failed, and it promises rollups that include it.
      await ctx.rollups.markSalesStale(from, to);
      return { accepted, duplicates };
    },
  }),
);
