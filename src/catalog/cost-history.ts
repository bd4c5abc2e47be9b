import sql from 'sql-template-tag';
import { builder } from '../builder.js';
import { defineLoader, groupByKey } from '../loaders.js';
import { ProductRef } from './schema.js';

/** One period of a product's unit cost. */
interface CostPeriodRow {
  productId: string;
  /** Null: in force for every sale before the next period. */
  validFrom: Date | null;
  cost: string | null;
  recordedAt: Date;
}

/** Each product's cost periods, oldest first, batched per request. */
const costHistoryByProduct = defineLoader<string, CostPeriodRow[]>(
  'costHistoryByProduct',
  async (db, ids) => {
    const rows = await db.query<CostPeriodRow>(sql`/* costHistoryByProduct */
      SELECT c.product_id AS "productId",
             CASE WHEN c.valid_from = '-infinity' THEN NULL ELSE c.valid_from END AS "validFrom",
             c.cost::text AS "cost", c.recorded_at AS "recordedAt"
      FROM product_costs c
      WHERE c.customer_id = ${db.customerId}::uuid AND c.product_id = ANY(${ids}::uuid[])
      ORDER BY c.product_id, c.valid_from`);
    return groupByKey(ids, rows, (r) => r.productId);
  },
);

const CostPeriodRef = builder.objectRef<CostPeriodRow>('CostPeriod').implement({
  description:
    'A period of a product’s unit cost, from `validFrom` until the next period’s start. A sale line recorded after the period was added keeps the cost of the period its sale time falls in.',
  fields: (t) => ({
    validFrom: t.expose('validFrom', {
      type: 'DateTime',
      nullable: true,
      description: 'Start of the period; null for a first cost, in force for every earlier sale.',
    }),
    cost: t.expose('cost', {
      type: 'Decimal',
      nullable: true,
      description: 'Unit cost in the period; null when none is known.',
    }),
    recordedAt: t.expose('recordedAt', {
      type: 'DateTime',
      description:
        'When the period was added. Lines recorded before then kept the cost in force when they were recorded.',
    }),
  }),
});

builder.objectFields(ProductRef, (t) => ({
  costHistory: t.field({
    type: [CostPeriodRef],
    description:
      'Every period of the product’s unit cost, oldest first; empty when it never had one.',
    complexity: { field: 1, multiplier: 10 },
    resolve: (product, _args, ctx) => costHistoryByProduct(ctx).load(product.id),
  }),
}));
