import type { ArgBuilder } from '@pothos/core';
import type { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import { userError } from '../errors.js';
import { productIdBySku, storeIdByCode } from './catalog-store.js';
import { bothOrNeitherProblem, unknownCodeProblem, type CatalogRefs } from './code-refs.js';

type SchemaTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
type Arg = ArgBuilder<SchemaTypes>;

/** The most ids or codes one list filter takes. */
export const MAX_FILTER_REFS = 1000;

/** How arguments name one kind of catalog row: by id, or by the tenant's own code. */
interface RefKind {
  id: 'storeId' | 'productId';
  code: 'storeCode' | 'sku';
  ids: 'storeIds' | 'productIds';
  codes: 'storeCodes' | 'skus';
  rows: 'stores' | 'products';
  lookup: typeof storeIdByCode;
}

const STORE: RefKind = {
  id: 'storeId',
  code: 'storeCode',
  ids: 'storeIds',
  codes: 'storeCodes',
  rows: 'stores',
  lookup: storeIdByCode,
};
const PRODUCT: RefKind = {
  id: 'productId',
  code: 'sku',
  ids: 'productIds',
  codes: 'skus',
  rows: 'products',
  lookup: productIdBySku,
};

/** The `storeIds` / `storeCodes` pair of a filter; `only` says what it keeps ("Only alerts of…"). */
export function storeFilterArgs(arg: Arg, only = 'Only these stores') {
  return {
    storeIds: arg({ type: ['UUID'], description: `${only} (or storeCodes).` }),
    storeCodes: arg.stringList({ description: `${only}, by code (or storeIds).` }),
  };
}

/** The `productIds` / `skus` pair of a filter. */
export function productFilterArgs(arg: Arg, only = 'Only these products') {
  return {
    productIds: arg({ type: ['UUID'], description: `${only} (or skus).` }),
    skus: arg.stringList({ description: `${only}, by SKU (or productIds).` }),
  };
}

/** The `storeId` / `storeCode` / `productId` / `sku` arguments naming one store and one product. */
export function storeAndProductArgs(arg: Arg) {
  return {
    storeId: arg({ type: 'UUID', description: 'The store (or storeCode).' }),
    storeCode: arg.string({ description: 'The store’s code (or storeId).' }),
    productId: arg({ type: 'UUID', description: 'The product (or sku).' }),
    sku: arg.string({ description: 'The product’s SKU (or productId).' }),
  };
}

function unknownCode(kind: RefKind, argument: string, code: string) {
  return userError(unknownCodeProblem(argument, code, kind.rows), 'NOT_FOUND', { argument });
}

/** A list filter's ids: at once when it names ids, once its codes are looked up otherwise. */
export type FilterIds = string[] | null | Promise<string[] | null>;

function filterIds(
  ctx: GraphQLContext,
  kind: RefKind,
  ids: readonly string[] | null | undefined,
  codes: readonly string[] | null | undefined,
): FilterIds {
  if (ids != null && codes != null) {
    throw userError(`give ${kind.ids} or ${kind.codes}, not both`, 'BAD_USER_INPUT', {
      argument: kind.codes,
    });
  }
  const argument = ids == null ? kind.codes : kind.ids;
  const list = ids ?? codes;
  if (list == null) return null;
  if (list.length > MAX_FILTER_REFS) {
    throw userError(`${argument} may list at most ${MAX_FILTER_REFS} entries`, 'BAD_USER_INPUT', {
      argument,
    });
  }
  if (ids != null) return ids.map((id) => id.toLowerCase());
  return idsOfCodes(ctx, kind, argument, list);
}

async function idsOfCodes(
  ctx: GraphQLContext,
  kind: RefKind,
  argument: string,
  codes: readonly string[],
): Promise<string[]> {
  const unique = [...new Set(codes)];
  const found = await Promise.all(unique.map((code) => kind.lookup(ctx).load(code)));
  return unique.map((code, n) => {
    const id = found[n];
    if (id == null) throw unknownCode(kind, argument, code);
    return id;
  });
}

/**
 * Calls `load` with a filter's ids. A filter by ids (or none) calls it in the same tick, so
 * nested fields of many parents still batch into one statement as they did before codes.
 */
export function withFilter<T>(ids: FilterIds, load: (ids: string[] | null) => T | Promise<T>) {
  return ids instanceof Promise ? ids.then(load) : load(ids);
}

/**
 * The store ids a `storeIds` or `storeCodes` filter names (null: no filter). Both at once, or
 * more than MAX_FILTER_REFS, is BAD_USER_INPUT; a code the caller cannot see (another
 * tenant's, or a store outside its scope) is NOT_FOUND, as an unknown one is.
 */
export function storeFilter(
  ctx: GraphQLContext,
  args: { storeIds?: readonly string[] | null; storeCodes?: readonly string[] | null },
): FilterIds {
  return filterIds(ctx, STORE, args.storeIds, args.storeCodes);
}

/** The product ids a `productIds` or `skus` filter names (null: no filter); as storeFilter. */
export function productFilter(
  ctx: GraphQLContext,
  args: { productIds?: readonly string[] | null; skus?: readonly string[] | null },
): FilterIds {
  return filterIds(ctx, PRODUCT, args.productIds, args.skus);
}

/** The id `id` or `code` names (exactly one of them), or null for a code the caller cannot see. */
async function idOf(
  ctx: GraphQLContext,
  kind: RefKind,
  refs: { id?: string | null; code?: string | null },
  names: { id: string; code: string },
): Promise<string | null> {
  const { id, code } = refs;
  if (id != null && code == null) return id.toLowerCase();
  if (id != null || code == null) {
    throw userError(bothOrNeitherProblem(names.id, names.code), 'BAD_USER_INPUT', {
      argument: names.id,
    });
  }
  return kind.lookup(ctx).load(code);
}

async function refId(
  ctx: GraphQLContext,
  kind: RefKind,
  refs: { id?: string | null; code?: string | null },
  path: string,
): Promise<string> {
  const names = { id: `${path}${kind.id}`, code: `${path}${kind.code}` };
  const id = await idOf(ctx, kind, refs, names);
  if (id === null) throw unknownCode(kind, names.code, refs.code ?? '');
  return id;
}

/** The store `id` or `code` names (exactly one), or null when the caller sees no such code. */
export function storeIdOf(
  ctx: GraphQLContext,
  args: { id?: string | null; code?: string | null },
): Promise<string | null> {
  return idOf(ctx, STORE, args, { id: 'id', code: 'code' });
}

/** The product `id` or `sku` names (exactly one), or null when the tenant has no such SKU. */
export function productIdOf(
  ctx: GraphQLContext,
  args: { id?: string | null; sku?: string | null },
): Promise<string | null> {
  return idOf(ctx, PRODUCT, { id: args.id, code: args.sku }, { id: 'id', code: 'sku' });
}

/**
 * The ids of the one store and one product that arguments name, each by id or by code
 * (exactly one of each, else BAD_USER_INPUT). `path` prefixes the argument names in errors,
 * e.g. "input.". A code the caller cannot see is NOT_FOUND, as in filters; ids are returned
 * as given, for the caller's own existence check.
 */
export async function requireStoreAndProductRefs(
  ctx: GraphQLContext,
  refs: CatalogRefs,
  path = '',
): Promise<{ storeId: string; productId: string }> {
  const storeId = await refId(ctx, STORE, { id: refs.storeId, code: refs.storeCode }, path);
  const productId = await refId(ctx, PRODUCT, { id: refs.productId, code: refs.sku }, path);
  return { storeId, productId };
}
