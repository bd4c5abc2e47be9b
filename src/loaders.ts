import DataLoader from 'dataloader';
import type { RequestDb } from './db/request-db.js';

/** Per-request store of DataLoaders, created lazily by `defineLoader` accessors. */
export class LoaderCache {
  private readonly loaders = new Map<symbol | string, unknown>();
  private readonly preloaded = new WeakMap<object, Map<unknown, unknown>>();

  /** Returns the loader registered under `key`, creating it on first use. */
  get<T>(key: symbol | string, create: () => T): T {
    if (!this.loaders.has(key)) this.loaders.set(key, create());
    return this.loaders.get(key) as T;
  }

  /** The values `preload` has read through `loader` in this request, by key. */
  loaded<K, V>(loader: DataLoader<K, V, unknown>): Map<K, V> {
    let values = this.preloaded.get(loader) as Map<K, V> | undefined;
    if (!values) {
      values = new Map();
      this.preloaded.set(loader, values);
    }
    return values;
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

/**
 * Reads `keys` through `loader` at once (one batch, as the rows' own loads would) and keeps
 * the values, so that the rows of a long list take theirs with `loadedOr` as values rather
 * than through a promise each. A key whose load failed is not kept: its rows load it and get
 * the loader's error, as without the preload.
 */
export async function preload<K extends string, V>(
  cache: LoaderCache,
  loader: DataLoader<K, V, unknown>,
  keys: Iterable<K>,
): Promise<void> {
  const loaded = cache.loaded(loader);
  const missing = [...new Set(keys)].filter((key) => !loaded.has(key));
  if (missing.length === 0) return;
  const values = await loader.loadMany(missing);
  missing.forEach((key, index) => {
    const value = values[index];
    if (!(value instanceof Error)) loaded.set(key, value as V);
  });
}

/** The value `preload` has read for `key`, else `loader`'s promise of it. */
export function loadedOr<K extends string, V>(
  cache: LoaderCache,
  loader: DataLoader<K, V, unknown>,
  key: K,
): V | Promise<V> {
  const loaded = cache.loaded(loader);
  return loaded.has(key) ? (loaded.get(key) as V) : loader.load(key);
}
