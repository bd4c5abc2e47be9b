import DataLoader from 'dataloader';
import type { RequestDb } from './db/request-db.js';

/** Per-request store of DataLoaders, created lazily by `defineLoader` accessors. */
export class LoaderCache {
  private readonly loaders = new Map<symbol | string, unknown>();

  /** Returns the loader registered under `key`, creating it on first use. */
  get<T>(key: symbol | string, create: () => T): T {
    if (!this.loaders.has(key)) this.loaders.set(key, create());
    return this.loaders.get(key) as T;
  }
}

interface LoaderContext {
  db: RequestDb;
  loaders: LoaderCache;
}

/**
 * Declares a batched lookup. `batch` receives every key asked for in one tick and must return
 * one value per key, in key order; the accessor returns the request's own loader.
 */
export function defineLoader<K, V, C = K>(
  name: string,
  batch: (db: RequestDb, keys: readonly K[]) => Promise<readonly V[]>,
  options: { cacheKeyFn?: (key: K) => C } = {},
): (context: LoaderContext) => DataLoader<K, V, C> {
  const key = Symbol(name);
  return (context) =>
    context.loaders.get(
      key,
      () =>
        new DataLoader<K, V, C>((keys) => batch(context.db, keys), {
          maxBatchSize: 1000,
          ...options,
        }),
    );
}

/**
 * The request's loader for one field asked with one set of arguments: every parent asking the
 * same question shares it, so the answers for all of them come from one statement.
 */
export function loaderForArgs<K, V>(
  context: { loaders: LoaderCache },
  name: string,
  args: unknown,
  create: () => DataLoader<K, V, string>,
): DataLoader<K, V, string> {
  return context.loaders.get(`${name}:${JSON.stringify(args)}`, create);
}

/** Puts rows back in the order of `keys`, with null where a key matched no row. */
export function byKey<K, R>(keys: readonly K[], rows: readonly R[], keyOf: (row: R) => K) {
  const map = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((k) => map.get(k) ?? null);
}

/** Groups rows under each key of `keys` (an empty list for keys without rows). */
export function groupByKey<K, R>(keys: readonly K[], rows: readonly R[], keyOf: (row: R) => K) {
  const map = new Map<K, R[]>();
  for (const row of rows) {
    const list = map.get(keyOf(row));
    if (list) list.push(row);
    else map.set(keyOf(row), [row]);
  }
  return keys.map((k) => map.get(k) ?? []);
}
