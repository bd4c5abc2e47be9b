import { builder } from '../builder.js';
import { tellFreshness } from '../analytics/data-freshness.js';
import { productById, storeById } from '../catalog/catalog-store.js';
import {
  productFilter,
  productFilterArgs,
  productIdOf,
  storeFilter,
  storeFilterArgs,
} from '../catalog/ref-args.js';
import { ProductRef, StoreRef } from '../catalog/schema.js';
import { countArgument, userError } from '../errors.js';
import { TimeRangeInput } from '../time-range.js';
import {
  boughtTogether,
  MAX_RECEIPT_ROWS,
  receiptSizes,
  receiptSummary,
  type BoughtTogether,
  type BoughtTogetherRow,
  type ReceiptSizeRow,
  type ReceiptSummaryRow,
} from './basket-store.js';
import { measureFieldsOf } from '../analytics/fields.js';
import { BASKET_MEASURE_NAMES } from './measures.js';

/** The most products boughtTogether lists. */
export const MAX_BOUGHT_TOGETHER = 100;
/** The largest basket size receiptSizes lists on its own row. */
export const MAX_RECEIPT_SIZE = 1000;

const ReceiptGroupByEnum = builder.enumType('ReceiptGroupBy', {
  description: 'What a receipt summary is split by.',
  values: {
    STORE: { value: 'store', description: 'One row per store.' },
    PRODUCT: {
      value: 'product',
      description:
        'One row per product: its receipts are the receipts containing it, so they do not add up across products.',
    },
    CATEGORY: {
      value: 'category',
      description:
        'One row per category: the receipts holding a sale line of a product of the category within the range, each counted once (they do not add up across categories, nor over ranges).',
    },
  } as const,
});

const ReceiptSummaryRef = builder.objectRef<ReceiptSummaryRow>('ReceiptSummary').implement({
  description:
    'The receipt measures of a store, product or category (or of everything) over a range: the receipts opened in it (each at its first recorded sale line), per product those containing it; per category (or over several products) the receipts holding a sale line of it within the range, each once.',
  fields: (t) => ({
    store: t.field({
      type: StoreRef,
      nullable: true,
      description: 'The store, when split by STORE.',
      resolve: (r, _args, ctx) => (r.storeId ? storeById(ctx).load(r.storeId) : null),
    }),
    product: t.field({
      type: ProductRef,
      nullable: true,
      description: 'The product, when split by PRODUCT.',
      resolve: (r, _args, ctx) => (r.productId ? productById(ctx).load(r.productId) : null),
    }),
    category: t.string({
      nullable: true,
      description: 'The category, when split by CATEGORY.',
      resolve: (r) => r.category ?? null,
    }),
    ...measureFieldsOf(t, BASKET_MEASURE_NAMES),
  }),
});

const BoughtWithRef = builder.objectRef<BoughtTogetherRow>('BoughtWith').implement({
  description: 'A product found on the same receipts as the asked one.',
  fields: (t) => ({
    product: t.field({
      type: ProductRef,
      nullable: true,
      description: 'The product.',
      resolve: (r, _args, ctx) => productById(ctx).load(r.productId),
    }),
    receipts: t.exposeInt('receipts', {
      description: 'Receipts holding both products (each with a sale line).',
    }),
    productReceipts: t.exposeInt('productReceipts', {
      description: 'Receipts holding this product, with or without the asked one.',
    }),
    support: t.field({
      type: 'Decimal',
      description: 'receipts ÷ all receipts of the range, rounded half-up to 6 places.',
      resolve: (r) => r.support,
    }),
    confidence: t.field({
      type: 'Decimal',
      description:
        'receipts ÷ the receipts holding the asked product (how often a basket with it also holds this one), 6 places.',
      resolve: (r) => r.confidence,
    }),
    lift: t.field({
      type: 'Decimal',
      description:
        'confidence ÷ (productReceipts ÷ all receipts): above 1, bought together more often than chance; 6 places.',
      resolve: (r) => r.lift,
    }),
  }),
});

const BoughtTogetherRef = builder.objectRef<BoughtTogether>('BoughtTogether').implement({
  description: 'The products bought on the same receipts as one product over a range.',
  fields: (t) => ({
    receipts: t.exposeInt('receipts', {
      description: 'Receipts of the range with at least one sale line (the baskets).',
    }),
    productReceipts: t.exposeInt('productReceipts', {
      description: 'Of those, the receipts holding the asked product.',
    }),
    items: t.field({
      type: [BoughtWithRef],
      description: 'The products most often on those receipts, ties by SKU.',
      resolve: (r) => r.items,
    }),
  }),
});

const ReceiptSizeRef = builder.objectRef<ReceiptSizeRow>('ReceiptSize').implement({
  description: 'The receipts holding one number of units sold.',
  fields: (t) => ({
    units: t.exposeInt('units', {
      description: 'Units sold on the receipt (the smallest of the row when orMore).',
    }),
    orMore: t.exposeBoolean('orMore', {
      description: 'The row holds every receipt of units or more (above maxUnits).',
    }),
    receipts: t.exposeInt('receipts', { description: 'Receipts of that size.' }),
    totalUnits: t.field({
      type: 'BigInt',
      description: 'Units sold on those receipts.',
      resolve: (r) => r.totalUnits,
    }),
    share: t.field({
      type: 'Decimal',
      description: 'receipts ÷ all receipts, rounded half-up to 6 places.',
      resolve: (r) => r.share,
    }),
  }),
});

builder.queryFields((t) => ({
  receiptSummary: t.field({
    type: [ReceiptSummaryRef],
    description: `Receipts, average receipt value, units per receipt and average unit price over the half-open range, overall or per store, product or category (at most ${MAX_RECEIPT_ROWS} rows, in key order), in one statement over the range's sale lines; a salesTrend of one bucket answers the same from the rollups (per category excepted: see ReceiptGroupBy).`,
    args: {
      range: t.arg({ type: TimeRangeInput, required: true, description: 'Half-open [from, to).' }),
      groupBy: t.arg({ type: ReceiptGroupByEnum, description: 'Split by; omitted: one row.' }),
      ...storeFilterArgs(t.arg),
      ...productFilterArgs(t.arg),
    },
    complexity: () => ({ field: 10, multiplier: 1 }),
    resolve: async (_root, args, ctx) => {
      await tellFreshness(ctx);
      return receiptSummary(ctx.db, {
        range: args.range,
        group: args.groupBy ?? null,
        filters: {
          storeIds: await storeFilter(ctx, args),
          productIds: await productFilter(ctx, args),
        },
      });
    },
  }),
  boughtTogether: t.field({
    type: BoughtTogetherRef,
    description:
      'The products on the same receipts as one product over the half-open range, with the receipts together, support, confidence and lift, exact. One statement over the range’s sale lines on receipts.',
    args: {
      range: t.arg({ type: TimeRangeInput, required: true, description: 'Half-open [from, to).' }),
      productId: t.arg({ type: 'UUID', description: 'The product (or sku).' }),
      sku: t.arg.string({ description: 'The product’s SKU (or productId).' }),
      first: t.arg.int({ description: `How many products (1 to ${MAX_BOUGHT_TOGETHER}, 10).` }),
      ...storeFilterArgs(t.arg),
    },
    complexity: (args) => ({ field: 10, multiplier: (args.first ?? 10) + 1 }),
    resolve: async (_root, args, ctx) => {
      const first = countArgument(args.first, 'first', MAX_BOUGHT_TOGETHER, 10);
      await tellFreshness(ctx);
      const productId = await productIdOf(ctx, { id: args.productId, sku: args.sku });
      if (productId === null) {
        throw userError(`no product with sku ${JSON.stringify(args.sku)}`, 'NOT_FOUND', {
          argument: 'sku',
        });
      }
      return boughtTogether(ctx.db, {
        range: args.range,
        storeIds: await storeFilter(ctx, args),
        productId,
        first,
      });
    },
  }),
  receiptSizes: t.field({
    type: [ReceiptSizeRef],
    description:
      'How many receipts of the half-open range hold 1, 2, … units sold (returns are not units of a basket; a receipt holding only returns is none), each size up to maxUnits a row and larger ones in one row.',
    args: {
      range: t.arg({ type: TimeRangeInput, required: true, description: 'Half-open [from, to).' }),
      maxUnits: t.arg.int({
        description: `Largest size listed on its own row (1 to ${MAX_RECEIPT_SIZE}, 20).`,
      }),
      ...storeFilterArgs(t.arg),
    },
    complexity: (args) => ({ field: 10, multiplier: (args.maxUnits ?? 20) / 10 + 1 }),
    resolve: async (_root, args, ctx) => {
      const maxUnits = countArgument(args.maxUnits, 'maxUnits', MAX_RECEIPT_SIZE, 20);
      await tellFreshness(ctx);
      return receiptSizes(ctx.db, {
        range: args.range,
        storeIds: await storeFilter(ctx, args),
        maxUnits,
      });
    },
  }),
}));
