import { createHash } from 'node:crypto';
import { getOperationAST, type ExecutionResult } from 'graphql';
import type { GraphQLParams, Plugin } from 'graphql-yoga';
import type { RequestAuthenticator } from '../auth/request-auth.js';
import type { Viewer } from '../auth/viewer.js';
import type { GraphQLContext } from '../context.js';
import type { Logger } from '../logger.js';
import type { DataVersions } from './data-version.js';
import { dataVersionBumps, responseCacheLookups } from './metrics.js';
import { queryOnlyCheck } from './query-only.js';
import type { ResponseStore } from './response-store.js';

/** Response header telling the client whether its answer came from the cache. */
export const CACHE_STATUS_HEADER = 'x-shelfops-cache';

export interface ResponseCacheOptions {
  store: ResponseStore;
  versions: DataVersions;
  authenticate: RequestAuthenticator;
  logger: Logger;
}

/** What the cache did for one request: served `body` (a hit's answer) or stored it. */
type Outcome = { hit: true; body: Buffer } | { hit: false; body: string };

// Part of every key: entries written in another format are never read.
const KEY_FORMAT = 'answer-json-2';

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('base64url');

/** JSON with object keys sorted, so equal variables give equal keys whatever their order. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Everything an answer depends on besides the operation and the data version: who asks. */
function viewerKey(viewer: Viewer): unknown[] {
  const stores = viewer.storeIds === null ? null : [...viewer.storeIds].sort();
  return [viewer.customerId, viewer.role, stores, viewer.subject];
}

/**
 * The key of an operation's answer apart from the data version: a hash of the viewer, the
 * document, the operation name and the variables. It stays the same from one request to the
 * next, so a caller that knows the request already may keep it.
 */
function operationKey(viewer: Viewer, params: GraphQLParams): string {
  return sha256(
    JSON.stringify([
      KEY_FORMAT,
      ...viewerKey(viewer),
      params.query ?? null,
      params.operationName ?? null,
      stableJson(params.variables ?? {}),
    ]),
  );
}

/**
 * The cache key: the operation's key and the tenant's data version (digits), which a hash of
 * fixed length and a dot keep apart.
 */
const versionedKey = (operation: string, version: string) => `${operation}.${version}`;

const keyOf = async (versions: DataVersions, viewer: Viewer, params: GraphQLParams) =>
  versionedKey(operationKey(viewer, params), await versions.current(viewer.customerId));

/** The lookups `useResponseCache` makes, for a path that answers hits before Yoga's pipeline. */
export interface StoredAnswers {
  /**
   * The key of a query's answer for `viewer` apart from the data version, or null when the
   * document defines anything else than queries (never cached).
   */
  operationKey(viewer: Viewer, params: GraphQLParams): string | null;
  /**
   * The answer stored under `operationKey` at the tenant's current data version, or null.
   * Counts hits only (a miss is counted by the pipeline it then takes); a store that fails
   * rejects.
   */
  answer(customerId: string, operationKey: string): Promise<Buffer | null>;
  /**
   * What `answer` would resolve to, at once, when the answers and the data versions are kept
   * in this process (no store to wait for); absent otherwise.
   */
  answerNow?: (customerId: string, operationKey: string) => Buffer | null;
}

/** The stored answers' lookups over `store` and `versions`. */
export function storedAnswersOf(
  options: Pick<ResponseCacheOptions, 'store' | 'versions'>,
): StoredAnswers {
  const queriesOnly = queryOnlyCheck();
  const { store, versions } = options;
  const counted = (body: Buffer | null) => {
    if (body !== null) responseCacheLookups.inc({ outcome: 'hit' });
    return body;
  };
  const { getNow } = store;
  const { currentNow } = versions;
  return {
    operationKey: (viewer, params) =>
      typeof params.query === 'string' && queriesOnly(params.query)
        ? operationKey(viewer, params)
        : null,
    answer: async (customerId, operation) =>
      counted(await store.get(versionedKey(operation, await versions.current(customerId)))),
    ...(getNow && currentNow
      ? {
          answerNow: (customerId: string, operation: string) =>
            counted(getNow(versionedKey(operation, currentNow(customerId)))),
        }
      : {}),
  };
}

/**
 * The answer of a hit as sent: the data, what the resolvers told that holds for the data
 * version (part of the key), and `extensions.responseCache.hit`.
 */
function hitBody(data: unknown, told: Record<string, unknown>): string {
  return JSON.stringify({ data, extensions: { ...told, responseCache: { hit: true } } });
}

/**
 * The answer of a hit, `body` as stored: it stops execution, and Yoga writes it with the
 * result's own `stringify`, which returns the stored text itself, so a hit neither parses nor
 * serializes nor builds its answer (and a JSON response then goes out as the stored bytes,
 * see onResponse). `data` is parsed only if something reads it (another response format, a
 * plugin). A copy of the result (a plugin adding something) drops the non-enumerable
 * `stringify` and is serialized as any other.
 */
function storedAnswer(body: Buffer): ExecutionResult {
  let parsed: ExecutionResult | undefined;
  const result = {
    get data() {
      parsed ??= JSON.parse(body.toString('utf8')) as ExecutionResult;
      return parsed.data;
    },
    extensions: { responseCache: { hit: true } },
  };
  Object.defineProperty(result, 'stringify', {
    value: (value: unknown) => (value === result ? body.toString('utf8') : JSON.stringify(value)),
  });
  return result;
}

/**
 * A view of `body`'s bytes (no copy) as a response body. The stores' Buffers come from
 * Buffer.from and the Redis client's parser, never from a SharedArrayBuffer.
 */
const bytesOf = (body: Buffer) =>
  new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.byteLength);

/** The JSON answers Yoga's regular result processor writes (not event streams, not multipart). */
const JSON_ANSWER = /^application\/(?:graphql-response\+)?json\b/;

/** Tags of the answers held in memory, by their bytes (the same Buffer on every hit). */
const tags = new WeakMap<Buffer, string>();

/**
 * The tag of a stored answer: a hit and the miss that stored it share it. A Buffer's tag is
 * remembered with it: hashing 100 KB cost a revalidated GET more than all the rest of its hit.
 */
export function etagOf(body: Buffer | string): string {
  if (typeof body === 'string') return `W/"${sha256(body)}"`;
  let tag = tags.get(body);
  if (tag === undefined) {
    tag = `W/"${sha256(body)}"`;
    tags.set(body, tag);
  }
  return tag;
}

/** The headers of a GET's answer of tenant data: only the caller's cache may keep it, and must revalidate. */
export const PRIVATE_ANSWER = { 'cache-control': 'private, no-cache', vary: 'Authorization' };

/** Whether an If-None-Match header names `etag` (weak comparison, as for GET). */
export function matchesEtag(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => opaque(tag) === opaque(etag));
}

/**
 * Caches the answers of queries (never mutations or subscriptions) that have no error, keyed
 * by the viewer (tenant, role, store scope, subject), the tenant's data version, the document
 * text, operation name and variables. A committed mutation bumps the tenant's version, so the
 * next read misses and sees the write. Must come after the request-transaction plugin: its
 * `onExecuteDone` then runs after the commit (and the work scheduled after it), and the bump
 * is done before the mutation's answer is sent.
 *
 * Hits are served when the parameters are known (`onParams`), after authentication, the rate
 * limit, the persisted-operation policy (which has replaced a hash by its document) and the
 * document size limit, and before parsing, validation, the context and execution, which a
 * hit does not need: the depth, alias, directive, token, page-size and cost limits, the
 * introspection rule and the role checks depend on nothing but the document, the operation
 * name, the variables and the viewer's role, all part of the key, so the request that stored
 * an answer passed them exactly as one with the same key would. The stored bytes are sent as
 * they are.
 */
export function useResponseCache(options: ResponseCacheOptions): Plugin<GraphQLContext> {
  const { store, versions, authenticate, logger } = options;
  const keys = new WeakMap<Request, string>();
  const outcomes = new WeakMap<Request, Outcome>();

  const bump = async (customerId: string) => {
    try {
      await versions.bump(customerId);
      dataVersionBumps.inc({ outcome: 'ok' });
    } catch (error) {
      // The write is committed; cached answers of this tenant now live until their TTL.
      dataVersionBumps.inc({ outcome: 'error' });
      logger.error({ err: error }, 'could not bump the data version after a write');
    }
  };

  const queriesOnly = queryOnlyCheck();

  return {
    async onParams({ request, params, setResult }) {
      // Mutations and subscriptions are never cached: their variables are not even read.
      if (typeof params.query !== 'string' || !queriesOnly(params.query)) return;
      const viewer = await authenticate.viewer(request);
      try {
        const key = await keyOf(versions, viewer, params);
        const body = await store.get(key);
        if (body !== null) {
          responseCacheLookups.inc({ outcome: 'hit' });
          outcomes.set(request, { hit: true, body });
          setResult(storedAnswer(body));
          return;
        }
        responseCacheLookups.inc({ outcome: 'miss' });
        keys.set(request, key);
      } catch (error) {
        // An unreachable store costs the cache, not the answer.
        responseCacheLookups.inc({ outcome: 'error' });
        logger.warn({ err: error }, 'response cache unavailable');
      }
    },
    onExecute({ args }) {
      const context = args.contextValue;
      const operation = getOperationAST(args.document, args.operationName)?.operation;
      if (operation === 'mutation') {
        return {
          async onExecuteDone({ result }) {
            // The transaction plugin committed exactly when the result has no error.
            if (Symbol.asyncIterator in result || (result.errors?.length ?? 0) > 0) return;
            await bump(context.viewer.customerId);
          },
        };
      }
      const key = keys.get(context.request);
      if (operation !== 'query' || key === undefined) return;
      return {
        async onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result || (result.errors?.length ?? 0) > 0) return;
          // A hit sends the data and what holds for its data version (its freshness): an
          // answer whose resolvers said more (a comparison's reach, which moves with the
          // clock) is not stored, or its hits would drop or misstate what they said.
          if (Object.keys(context.extensions).length > 0) return;
          const body = hitBody(result.data, context.versionedExtensions);
          try {
            await store.set(key, body);
          } catch (error) {
            logger.warn({ err: error }, 'could not store a response in the cache');
            return;
          }
          outcomes.set(context.request, { hit: false, body });
          setResult({
            ...result,
            extensions: { ...result.extensions, responseCache: { hit: false } },
          });
        },
      };
    },
    onResponse({ request, response, setResponse, fetchAPI }) {
      const outcome = outcomes.get(request);
      if (!outcome) return;
      response.headers.set(CACHE_STATUS_HEADER, outcome.hit ? 'HIT' : 'MISS');
      if (
        outcome.hit &&
        response.status === 200 &&
        JSON_ANSWER.test(response.headers.get('content-type') ?? '')
      ) {
        // The stored bytes, written to the socket as they are: the same answer, without
        // encoding its text again (a 100 KB string's encoding was a quarter of a hit's CPU).
        response = new fetchAPI.Response(bytesOf(outcome.body), {
          status: 200,
          headers: response.headers,
        });
        setResponse(response);
      }
      if (request.method !== 'GET' || response.status !== 200) return;
      const etag = etagOf(outcome.body);
      response.headers.set('etag', etag);
      for (const [name, value] of Object.entries(PRIVATE_ANSWER)) response.headers.set(name, value);
      if (matchesEtag(request.headers.get('if-none-match'), etag)) {
        setResponse(
          new fetchAPI.Response(null, {
            status: 304,
            headers: {
              etag,
              ...PRIVATE_ANSWER,
              [CACHE_STATUS_HEADER]: outcome.hit ? 'HIT' : 'MISS',
            },
          }),
        );
      }
    },
  };
}
