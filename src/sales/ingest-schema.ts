import { builder } from '../builder.js';
import { refreshSalesRollups } from '../db/rollups.js';
import { userError } from '../errors.js';
import { ingestTimeProblem, type IngestTimeRule } from '../ingest-time.js';
import { insertSales, type SaleInput } from './ingest.js';

/** The most sale lines one recordSales call takes. */
export const MAX_SALES_BATCH = 5000;
const MAX_QUANTITY = 100_000;
// numeric(12, 2): the price is stored as given, never rounded.
const PRICE = /^\d{1,10}(\.\d{1,2})?$/;

const SaleInputRef = builder.inputType('SaleInput', {
  description: 'One POS sale line.',
  fields: (t) => ({
    transactionId: t.field({ type: 'UUID', required: true, description: 'Idempotency key.' }),
    time: t.field({ type: 'DateTime', required: true, description: 'When it was sold.' }),
    storeId: t.field({ type: 'UUID', required: true, description: 'Store that sold it.' }),
    productId: t.field({ type: 'UUID', required: true, description: 'Product sold.' }),
    quantity: t.int({ required: true, description: `Units sold, 1 to ${MAX_QUANTITY}.` }),
    unitPrice: t.field({
      type: 'Decimal',
      required: true,
      description: 'Price per unit, at most 2 decimals.',
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
        description: 'Lines skipped because their transaction id and time were already stored.',
      }),
    }),
  });

function validateSales(sales: readonly SaleInput[], times: IngestTimeRule): void {
  if (sales.length === 0) throw userError('sales must contain at least one sale');
  if (sales.length > MAX_SALES_BATCH) {
    throw userError(`sales may contain at most ${MAX_SALES_BATCH} lines per call; split the batch`);
  }
  const now = Date.now();
  sales.forEach((s, index) => {
    if (!Number.isInteger(s.quantity) || s.quantity < 1 || s.quantity > MAX_QUANTITY) {
      throw userError(`sales[${index}].quantity must be between 1 and ${MAX_QUANTITY}`);
    }
    if (s.unitPrice.startsWith('-'))
      throw userError(`sales[${index}].unitPrice must not be negative`);
    if (!PRICE.test(s.unitPrice)) {
      throw userError(
        `sales[${index}].unitPrice must have at most 10 digits before and 2 after the decimal point`,
      );
    }
    const timeProblem = ingestTimeProblem(s.time, times, now);
    if (timeProblem) throw userError(`sales[${index}].time ${timeProblem}`);
  });
}

builder.mutationField('recordSales', (t) =>
  t.field({
    type: RecordSalesPayload,
    description: `Stores a batch of POS sale lines (at most ${MAX_SALES_BATCH}), idempotent on transaction id. Rollups include them, back-dated ones too, once this returns.`,
    authScopes: { writer: true },
    args: { sales: t.arg({ type: [SaleInputRef], required: true }) },
    resolve: async (_root, args, ctx) => {
      validateSales(args.sales, ctx.ingestTimes);
      const accepted = await insertSales(ctx.db, args.sales);
      const times = args.sales.map((s) => s.time.getTime());
      const from = new Date(Math.min(...times));
      const to = new Date(Math.max(...times) + 1);
      if (accepted > 0) {
        ctx.db.onCommit(() => refreshSalesRollups(ctx.maintenancePool, ctx.backend, from, to));
      }
      return { accepted, duplicates: args.sales.length - accepted };
    },
  }),
);
