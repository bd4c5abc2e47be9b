import { builder } from '../builder.js';
import { userError } from '../errors.js';
import { cursorKey, decodeCursor, encodeCursor, pageSize, toConnection } from '../pagination.js';
import {
  listCategories,
  listProducts,
  listStores,
  productById,
  storeById,
  type ProductRow,
  type StoreRow,
} from './catalog-store.js';
import { productIdOf, storeIdOf } from './ref-args.js';

/** GraphQL type of a store; other domains add nested fields to it. */
export const StoreRef = builder.objectRef<StoreRow>('Store');
/** GraphQL type of a product; other domains add nested fields to it. */
export const ProductRef = builder.objectRef<ProductRow>('Product');

StoreRef.implement({
  description: 'A shop of the tenant.',
  fields: (t) => ({
    id: t.expose('id', { type: 'UUID', description: 'Store id.' }),
    code: t.exposeString('code', { description: 'Short code, unique within the tenant.' }),
    name: t.exposeString('name', { description: 'Display name.' }),
    region: t.exposeString('region', { description: 'Sales region.' }),
    timeZone: t.expose('timeZone', { type: 'TimeZone', description: 'IANA zone of the store.' }),
    sizeSqm: t.exposeInt('sizeSqm', { nullable: true, description: 'Sales floor, square metres.' }),
    openedOn: t.expose('openedOn', { type: 'Date', nullable: true, description: 'Opening date.' }),
  }),
});

ProductRef.implement({
  description: 'An article the tenant sells.',
  fields: (t) => ({
    id: t.expose('id', { type: 'UUID', description: 'Product id.' }),
    sku: t.exposeString('sku', { description: 'Stock keeping unit, unique within the tenant.' }),
    name: t.exposeString('name', { description: 'Display name.' }),
    category: t.exposeString('category', { description: 'Merchandise category.' }),
    unitPrice: t.expose('unitPrice', { type: 'Decimal', description: 'Current list price.' }),
    cost: t.expose('cost', {
      type: 'Decimal',
      nullable: true,
      description:
        'Current unit cost (the last period of `costHistory`); null when none is set. A sale line keeps the cost in force at its sale time.',
    }),
  }),
});

/** Relay connection of stores. */
export const StoreConnection = builder.connectionObject({
  type: StoreRef,
  name: 'StoreConnection',
});
/** Relay connection of products. */
export const ProductConnection = builder.connectionObject({
  type: ProductRef,
  name: 'ProductConnection',
});

const keyPair = cursorKey('text', 'uuid');

function searchTerm(search: string | null | undefined): string | null {
  if (search === null || search === undefined || search.trim() === '') return null;
  if (search.length > 100) throw userError('search must be at most 100 characters');
  return search.trim();
}

builder.queryFields((t) => ({
  stores: t.field({
    type: StoreConnection,
    description: 'Stores of the tenant (within the caller’s store scope), by code.',
    args: {
      first: t.arg.int({ description: 'Page size (at most 500, default 50).' }),
      after: t.arg.string({ description: 'Cursor of the last store of the previous page.' }),
      search: t.arg.string({ description: 'Part of the name or code.' }),
      region: t.arg.string({ description: 'Only stores of this region.' }),
    },
    complexity: (args) => ({ field: 1, multiplier: args.first ?? 50 }),
    resolve: async (_root, args, ctx) => {
      const limit = pageSize(args.first);
      const after = decodeCursor('stores', args.after, keyPair);
      const rows = await listStores(ctx.db, {
        limit,
        after,
        search: searchTerm(args.search),
        region: args.region ?? null,
      });
      return toConnection(
        rows,
        limit,
        (r) => encodeCursor('stores', [r.code, r.id]),
        after !== null,
      );
    },
  }),
  store: t.field({
    type: StoreRef,
    nullable: true,
    description:
      'One store by id or by code (exactly one); null when it is not one of the caller’s stores.',
    args: {
      id: t.arg({ type: 'UUID', description: 'The store’s id (or code).' }),
      code: t.arg.string({ description: 'The store’s code (or id).' }),
    },
    resolve: async (_root, args, ctx) => {
      const id = await storeIdOf(ctx, args);
      return id === null ? null : storeById(ctx).load(id);
    },
  }),
  products: t.field({
    type: ProductConnection,
    description: 'Products of the tenant, by SKU; searchable by name or SKU.',
    args: {
      first: t.arg.int({ description: 'Page size (at most 500, default 50).' }),
      after: t.arg.string({ description: 'Cursor of the last product of the previous page.' }),
      search: t.arg.string({ description: 'Part of the name or SKU.' }),
      category: t.arg.string({ description: 'Only products of this category.' }),
    },
    complexity: (args) => ({ field: 1, multiplier: args.first ?? 50 }),
    resolve: async (_root, args, ctx) => {
      const limit = pageSize(args.first);
      const after = decodeCursor('products', args.after, keyPair);
      const rows = await listProducts(ctx.db, {
        limit,
        after,
        search: searchTerm(args.search),
        category: args.category ?? null,
      });
      return toConnection(
        rows,
        limit,
        (r) => encodeCursor('products', [r.sku, r.id]),
        after !== null,
      );
    },
  }),
  product: t.field({
    type: ProductRef,
    nullable: true,
    description:
      'One product by id or by SKU (exactly one); null when the tenant has no such product.',
    args: {
      id: t.arg({ type: 'UUID', description: 'The product’s id (or sku).' }),
      sku: t.arg.string({ description: 'The product’s SKU (or id).' }),
    },
    resolve: async (_root, args, ctx) => {
      const id = await productIdOf(ctx, args);
      return id === null ? null : productById(ctx).load(id);
    },
  }),
  categories: t.stringList({
    description: 'The product categories of the tenant.',
    resolve: async (_root, _args, ctx) => (await listCategories(ctx.db)).map((r) => r.category),
  }),
}));
