import { productById, storeById, type ProductRow, type StoreRow } from './catalog-store.js';
import type { GraphQLContext } from '../context.js';
import { userError } from '../errors.js';

/**
 * The store of a row the caller can see. Rows and stores share the same tenant and store-scope
 * policies, so a missing store is a server fault (masked), never a user error.
 */
export async function storeOfRow(ctx: GraphQLContext, storeId: string): Promise<StoreRow> {
  const store = await storeById(ctx).load(storeId);
  if (store === null) throw new Error(`store ${storeId} of a visible row is not visible`);
  return store;
}

/** The product of a row the caller can see (products are visible tenant-wide). */
export async function productOfRow(ctx: GraphQLContext, productId: string): Promise<ProductRow> {
  const product = await productById(ctx).load(productId);
  if (product === null) throw new Error(`product ${productId} of a visible row is not visible`);
  return product;
}

/** The nullable product of a row (anomalies may concern a whole store). */
export async function optionalProductOfRow(
  ctx: GraphQLContext,
  productId: string | null,
): Promise<ProductRow | null> {
  return productId === null ? null : productOfRow(ctx, productId);
}

/**
 * Checks that a store and a product named by the caller exist for its tenant and scope; another
 * tenant's ids (or a store outside the caller's scope) are NOT_FOUND.
 */
export async function requireStoreAndProduct(
  ctx: GraphQLContext,
  storeId: string,
  productId: string,
): Promise<void> {
  const [store, product] = await Promise.all([
    storeById(ctx).load(storeId),
    productById(ctx).load(productId),
  ]);
  if (store === null) {
    throw userError(`storeId ${storeId} is not one of your stores`, 'NOT_FOUND', {
      argument: 'storeId',
    });
  }
  if (product === null) {
    throw userError(`productId ${productId} is not one of your products`, 'NOT_FOUND', {
      argument: 'productId',
    });
  }
}
