import { builder } from '../builder.js';
import { userError } from '../errors.js';
import { productById, storeById, type ProductRow, type StoreRow } from './catalog-store.js';
import { ProductRef, StoreRef } from './schema.js';
import { costFromConflict, productProblem, storeProblem } from './upsert-rules.js';
import {
  costFromConflicts,
  upsertProducts,
  upsertStores,
  type ProductUpsert,
  type StoreUpsert,
  type UpsertOutcome,
} from './upsert-store.js';

/** The most stores or products one upsert call takes. */
export const MAX_CATALOG_BATCH = 5000;

const StoreInputRef = builder.inputType('StoreInput', {
  description: 'A store of the tenant, identified by its code.',
  fields: (t) => ({
    code: t.string({
      required: true,
      description: 'The tenant’s own store code, 1 to 40 characters (the key).',
    }),
    name: t.string({ required: true, description: 'Name, 1 to 200 characters.' }),
    region: t.string({ required: true, description: 'Region, 1 to 100 characters.' }),
    timeZone: t.string({ required: true, description: 'IANA time zone, such as Europe/London.' }),
    sizeSqm: t.int({ description: 'Sales area in square metres, positive.' }),
    openedOn: t.field({ type: 'Date', description: 'Opening day.' }),
    retired: t.boolean({
      defaultValue: false,
      description: 'A retired store keeps its history and accepts late lines; lists still show it.',
    }),
  }),
});

const ProductInputRef = builder.inputType('ProductInput', {
  description: 'A product of the tenant, identified by its SKU.',
  fields: (t) => ({
    sku: t.string({
      required: true,
      description: 'The tenant’s SKU, 1 to 64 characters (the key).',
    }),
    name: t.string({ required: true, description: 'Name, 1 to 200 characters.' }),
    category: t.string({ required: true, description: 'Category, 1 to 100 characters.' }),
    unitPrice: t.field({
      type: 'Decimal',
      required: true,
      description: 'List price per unit, at least 0, at most 2 decimals.',
    }),
    cost: t.field({
      type: 'Decimal',
      description:
        'Unit cost, at least 0, at most 2 decimals. A changed cost adds a period to the product’s `costHistory`, from `costFrom`: each sale line recorded from then on keeps the cost in force at its own sale time, and lines already recorded keep theirs. Omitted or null keeps the current cost.',
    }),
    costFrom: t.field({
      type: 'DateTime',
      description:
        'When a changed `cost` takes effect: later than when the current cost did, and no later than the server’s clock plus the tolerance for sale times (FUTURE_TOLERANCE_SECONDS). Omitted: now, or for a product’s first cost, all its earlier sales. Needs `cost`; ignored when the cost is unchanged.',
    }),
    retired: t.boolean({
      defaultValue: false,
      description: 'A retired product keeps its history and accepts late lines.',
    }),
  }),
});

/** Refuses the whole batch at its first bad line, naming the line's index and field. */
function checkBatch<T>(
  lines: readonly T[],
  argument: string,
  keyOf: (line: T) => string,
  problemOf: (line: T) => string | null,
): void {
  if (lines.length === 0) throw userError(`${argument} must contain at least one line`);
  if (lines.length > MAX_CATALOG_BATCH) {
    throw userError(
      `${argument} may contain at most ${MAX_CATALOG_BATCH} lines per call; split the batch`,
    );
  }
  const seen = new Map<string, number>();
  lines.forEach((line, index) => {
    const problem = problemOf(line);
    if (problem) throw userError(`${argument}[${index}].${problem}`);
    const first = seen.get(keyOf(line));
    if (first !== undefined) {
      throw userError(
        `${argument}[${index}] repeats the key of ${argument}[${first}]; give each once`,
      );
    }
    seen.set(keyOf(line), index);
  });
}

const UpsertStoresPayload = builder
  .objectRef<{ created: number; updated: number; stores: StoreRow[] }>('UpsertStoresPayload')
  .implement({
    description: 'Outcome of upsertStores.',
    fields: (t) => ({
      created: t.exposeInt('created', { description: 'Stores that did not exist.' }),
      updated: t.exposeInt('updated', { description: 'Existing stores whose values changed.' }),
      stores: t.field({
        type: [StoreRef],
        description: 'The stores, in input order.',
        resolve: (r) => r.stores,
      }),
    }),
  });

const UpsertProductsPayload = builder
  .objectRef<{ created: number; updated: number; products: ProductRow[] }>('UpsertProductsPayload')
  .implement({
    description: 'Outcome of upsertProducts.',
    fields: (t) => ({
      created: t.exposeInt('created', { description: 'Products that did not exist.' }),
      updated: t.exposeInt('updated', { description: 'Existing products whose values changed.' }),
      products: t.field({
        type: [ProductRef],
        description: 'The products, in input order.',
        resolve: (r) => r.products,
      }),
    }),
  });

/** Rows by id in the order of `ids`, read after the upsert in the same transaction. */
async function inOrder<Row>(ids: string[], load: (id: string) => Promise<Row | null>) {
  const rows = await Promise.all(ids.map(load));
  return rows.map((row, index) => {
    if (row === null) throw new Error(`upserted row ${ids[index]} is not visible`);
    return row;
  });
}

builder.mutationFields((t) => ({
  upsertStores: t.field({
    type: UpsertStoresPayload,
    description: `Creates or updates the tenant's stores by code (at most ${MAX_CATALOG_BATCH}); idempotent. Retiring a store keeps its history.`,
    authScopes: { writer: true },
    args: { stores: t.arg({ type: [StoreInputRef], required: true }) },
    resolve: async (_root, args, ctx) => {
      const stores: StoreUpsert[] = args.stores.map((s) => ({
        code: s.code.trim(),
        name: s.name.trim(),
        region: s.region.trim(),
        timeZone: s.timeZone,
        sizeSqm: s.sizeSqm ?? null,
        openedOn: s.openedOn ?? null,
        retired: s.retired ?? false,
      }));
      checkBatch(stores, 'stores', (s) => s.code, storeProblem);
      const done: UpsertOutcome = await upsertStores(ctx.db, stores);
      const rows = await inOrder(done.ids, (id) => storeById(ctx).load(id));
      return { created: done.created, updated: done.updated, stores: rows };
    },
  }),
  upsertProducts: t.field({
    type: UpsertProductsPayload,
    description: `Creates or updates the tenant's products by SKU (at most ${MAX_CATALOG_BATCH}); idempotent. Retiring a product keeps its history.`,
    authScopes: { writer: true },
    args: { products: t.arg({ type: [ProductInputRef], required: true }) },
    resolve: async (_root, args, ctx) => {
      const products: ProductUpsert[] = args.products.map((p) => ({
        sku: p.sku.trim(),
        name: p.name.trim(),
        category: p.category.trim(),
        unitPrice: p.unitPrice,
        cost: p.cost ?? null,
        costFrom: p.costFrom ?? null,
        retired: p.retired ?? false,
      }));
      const now = Date.now();
      checkBatch(
        products,
        'products',
        (p) => p.sku,
        (p) => productProblem(p, ctx.ingestTimes, now),
      );
      const conflicts = await costFromConflicts(ctx.db, products);
      products.forEach((p, index) => {
        const currentFrom = conflicts.get(p.sku);
        if (currentFrom && p.costFrom) {
          throw userError(`products[${index}].${costFromConflict(p.costFrom, currentFrom)}`);
        }
      });
      const done = await upsertProducts(ctx.db, products);
      const rows = await inOrder(done.ids, (id) => productById(ctx).load(id));
      return { created: done.created, updated: done.updated, products: rows };
    },
  }),
}));
