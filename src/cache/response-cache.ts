import { createHash } from 'node:crypto';
import { getOperationAST, print, type DocumentNode, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Viewer } from '../auth/viewer.js';
import type { GraphQLContext } from '../context.js';
import type { Logger } from '../logger.js';
import type { DataVersions } from './data-version.js';
import { dataVersionBumps, responseCacheLookups } from './metrics.js';
import type { ResponseStore } from './response-store.js';

/** Response header telling the client whether its answer came from the cache. */
export const CACHE_STATUS_HEADER = 'x-shelfops-cache';

export interface ResponseCacheOptions {
  store: ResponseStore;
  versions: DataVersions;
  logger: Logger;
}

/** What the cache did for one request: served `body` from the cache (hit) or stored it. */
interface Outcome {
  hit: boolean;
  body: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

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

/** Everything an answer depends on besides the operation: who asks, and which data version. */
function viewerKey(viewer: Viewer, version: string): unknown[] {
  const stores = viewer.storeIds === null ? null : [...viewer.storeIds].sort();
  return [viewer.customerId, viewer.role, stores, viewer.subject, version];
}

function withStatus(result: ExecutionResult, hit: boolean): ExecutionResult {
  return { ...result, extensions: { ...result.extensions, responseCache: { hit } } };
}

/** Whether an If-None-Match header names `etag` (weak comparison, as for GET). */
function matchesEtag(header: string | null, etag: string): boolean {
  if (header === null) return false;
  if (header.trim() === '*') return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => opaque(tag) === opaque(etag));
}

/**
 * Caches the answers of queries (never mutations or subscriptions) that have no error, keyed
 * by the viewer (tenant, role, store scope, subject), the tenant's data version, the
 * operation and its variables. A committed mutation bumps the tenant's version, so the next
 * read misses and sees the write. Must come after the request-transaction plugin: its
 * `onExecuteDone` then runs after the commit (and the work scheduled after it), and the
 * bump is done before the mutation's answer is sent. Hits are served at execution, after
 * authentication, persisted-operation policy, rate limit, document and cost limits.
 */
export function useResponseCache(options: ResponseCacheOptions): Plugin<GraphQLContext> {
  const { store, versions, logger } = options;
  const documentHashes = new WeakMap<DocumentNode, string>();
  const outcomes = new WeakMap<Request, Outcome>();

  const documentHash = (document: DocumentNode) => {
    let hash = documentHashes.get(document);
    if (hash === undefined) {
      hash = sha256(print(document));
      documentHashes.set(document, hash);
    }
    return hash;
  };

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

  return {
    async onExecute({ args, setResultAndStopExecution }) {
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
      if (operation !== 'query') return;
      const { request, viewer } = context;
      let key: string;
      try {
        const version = await versions.current(viewer.customerId);
        key = sha256(
          JSON.stringify([
            ...viewerKey(viewer, version),
            documentHash(args.document),
            args.operationName ?? null,
            stableJson(args.variableValues ?? {}),
          ]),
        );
        const body = await store.get(key);
        if (body !== null) {
          responseCacheLookups.inc({ outcome: 'hit' });
          outcomes.set(request, { hit: true, body });
          setResultAndStopExecution(withStatus(JSON.parse(body) as ExecutionResult, true));
          return;
        }
        responseCacheLookups.inc({ outcome: 'miss' });
      } catch (error) {
        // An unreachable store costs the cache, not the answer.
        responseCacheLookups.inc({ outcome: 'error' });
        logger.warn({ err: error }, 'response cache unavailable');
        return;
      }
      return {
        async onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result || (result.errors?.length ?? 0) > 0) return;
          const body = JSON.stringify({ data: result.data });
          try {
            await store.set(key, body);
          } catch (error) {
            logger.warn({ err: error }, 'could not store a response in the cache');
            return;
          }
          outcomes.set(request, { hit: false, body });
          setResult(withStatus(result, false));
        },
      };
    },
    onResponse({ request, response, setResponse, fetchAPI }) {
      const outcome = outcomes.get(request);
      if (!outcome) return;
      // Headers are set in place: a new Response around this one's body would be streamed.
      response.headers.set(CACHE_STATUS_HEADER, outcome.hit ? 'HIT' : 'MISS');
      if (request.method !== 'GET' || response.status !== 200) return;
      // The tag names the data only, so a hit and the miss that stored it share it.
      const etag = `W/"${sha256(outcome.body)}"`;
      response.headers.set('etag', etag);
      // Tenant data: only the caller's own cache may keep it, and must revalidate.
      response.headers.set('cache-control', 'private, no-cache');
      response.headers.set('vary', 'Authorization');
      if (matchesEtag(request.headers.get('if-none-match'), etag)) {
        setResponse(
          new fetchAPI.Response(null, {
            status: 304,
            headers: {
              etag,
              'cache-control': 'private, no-cache',
              vary: 'Authorization',
              [CACHE_STATUS_HEADER]: outcome.hit ? 'HIT' : 'MISS',
            },
          }),
        );
      }
    },
  };
}
