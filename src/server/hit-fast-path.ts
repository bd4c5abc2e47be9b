import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { GraphQLParams } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { RequestAuthenticator } from '../auth/request-auth.js';
import type { Viewer } from '../auth/viewer.js';
import type { ResponseCache } from '../cache/index.js';
import {
  CACHE_STATUS_HEADER,
  etagOf,
  matchesEtag,
  PRIVATE_ANSWER,
} from '../cache/response-cache.js';
import type { Logger } from '../logger.js';
import type { PersistedQueryStore } from './apq-store.js';
import { LIMIT_CODES, refusalBody } from './limit-refusals.js';
import { hitName, type Metrics } from './metrics.js';
import { OPERATION_ID_HEADER } from './operation-gate.js';
import { apqHash, operationId } from './persisted-operations.js';
import type { TenantRateLimiter } from './rate-limit.js';
import { allowedMs, type BodyLanes } from './request-size.js';
import type { TrustedDocuments } from './trusted-documents.js';

export interface HitPathOptions {
  /** The one path that serves GraphQL. */
  path: string;
  csrfHeader: string;
  lookup: ResponseCache['lookup'];
  authenticate: RequestAuthenticator;
  limiter: TenantRateLimiter | null;
  trusted: TrustedDocuments;
  /** The dashboard's documents: runnable by id by analysts and admins, never by partners. */
  shipped: TrustedDocuments;
  apqStore: PersistedQueryStore;
  lanes: BodyLanes;
  limits: { smallBodyBytes: number; maxDocumentBytes: number };
  metrics: Metrics;
  logger: Logger;
}

/** What a request asks, as far as it may be a cache hit. */
interface Candidate {
  method: 'GET' | 'POST';
  url: string;
  /** The answer's content type, as Yoga picks it from Accept for a JSON answer. */
  contentType: string;
  /** POST: the announced length of its body. */
  bytes: number;
}

/** A request resolved to the key of its answer: the same text always resolves the same way. */
interface Prepared {
  /** The key of its answer apart from the data version. */
  key: string;
  /** What its hits are recorded under in the operations histogram (see `hitName`). */
  name: string | undefined;
  /** The id of the automatic persisted query that gave its document: it must still be stored. */
  registered: string | null;
  /** The length of its document's text, which the entry holds until its key is computed. */
  documentLength: number;
}

/** The most bytes of request texts (token and body or URL) and documents kept resolved. */
const PREPARED_MAX_BYTES = 4 * 1024 * 1024;

const PARAMS = new Set(['query', 'variables', 'operationName', 'extensions', 'documentId']);
const JSON_BODY = /^application\/json\s*(?:;|$)/i;

function answerType(accept: string | undefined): string | null {
  if (accept === undefined || accept === '*/*' || accept.startsWith('application/json')) {
    return 'application/json; charset=utf-8';
  }
  if (accept.startsWith('application/graphql-response+json')) {
    return 'application/graphql-response+json; charset=utf-8';
  }
  return null;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function parsedJson(text: string): { value: unknown } | null {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return null;
  }
}

/**
 * The GraphQL parameters as Yoga would take them, or null when they are anything else than a
 * plain query's (Yoga then answers, and refuses what it refuses).
 */
function paramsOf(fields: Record<string, unknown>): GraphQLParams | null {
  const { query, variables, operationName, extensions, documentId } = fields;
  const optional = (value: unknown, type: 'string' | 'object') =>
    value == null || (type === 'string' ? typeof value === 'string' : isObject(value));
  if (
    !optional(query, 'string') ||
    !optional(variables, 'object') ||
    !optional(operationName, 'string') ||
    !optional(extensions, 'object') ||
    !(documentId === undefined || typeof documentId === 'string')
  ) {
    return null;
  }
  return fields as GraphQLParams;
}

function getParams(url: string): GraphQLParams | null {
  const search = new URLSearchParams(url.slice(url.indexOf('?') + 1));
  const fields: Record<string, unknown> = {};
  for (const name of PARAMS) {
    const value = search.get(name);
    if (value === null) continue;
    if (name === 'variables' || name === 'extensions') {
      const json = parsedJson(value);
      if (!json) return null;
      fields[name] = json.value;
    } else {
      fields[name] = value;
    }
  }
  return paramsOf(fields);
}

function postParams(body: string): GraphQLParams | null {
  const json = parsedJson(body);
  if (!json || !isObject(json.value)) return null;
  if (Object.keys(json.value).some((name) => !PARAMS.has(name))) return null;
  return paramsOf(json.value);
}

/**
 * The whole body when it has already arrived (a small body usually comes in the packet of its
 * headers), without waiting for an event; else null and nothing read. The announced length is
 * all the body there is: once that many bytes are buffered, they are the whole of it.
 */
function arrivedBody(request: IncomingMessage, bytes: number): Buffer | null {
  if (request.readableLength !== bytes) return null;
  const body = request.read() as Buffer;
  // Flowing, the emptied stream ends (and lets go of its parser) once the message is complete.
  request.resume();
  return body;
}

/** Reads a small body whole: null when it did not arrive within `dueMs`; rejects if cut. */
function readBody(request: IncomingMessage, dueMs: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => resolve(null), dueMs);
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.once('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    request.once('close', () => {
      clearTimeout(timer);
      if (!request.complete) reject(new Error('the client went away'));
    });
  });
}

/**
 * Answers cache hits in the node:http handler, before Yoga: from the request line and
 * headers (path, method, content type, Accept, the CSRF header of a GET), the token, then,
 * for a POST, its small body (taken from the small bodies' lane, at the minimum rate), the
 * persisted-operation policy (a hash replaced by its trusted or registered document), the
 * document size limit, the cache key (viewer, data version, document, operation name,
 * variables) and the tenant's rate limit, and it writes the stored bytes with the headers
 * the pipeline gives a hit (and the revalidation of a GET). Everything else, and every
 * request whose answer is not stored, goes through Yoga's pipeline unchanged: a request whose
 * body was read here hands it on as `body`. What a hit skips (parsing, validation, the
 * document limits, the context, execution) it skips in the pipeline as well, see
 * `useResponseCache`.
 */
export function hitFastPath(options: HitPathOptions): (next: RequestListener) => RequestListener {
  const { path, lookup, authenticate, limiter, trusted, shipped, apqStore, lanes, limits } =
    options;

  const candidate = (request: IncomingMessage): Candidate | null => {
    const { method, headers } = request;
    const url = request.url ?? '';
    const query = url.indexOf('?');
    if ((query < 0 ? url : url.slice(0, query)) !== path) return null;
    // Browsers' requests (CORS), encoded bodies and headers of the persisted-operation gate
    // take the pipeline.
    if (headers.origin !== undefined || headers['content-encoding'] !== undefined) return null;
    if (headers[OPERATION_ID_HEADER] !== undefined) return null;
    const contentType = answerType(headers.accept);
    if (contentType === null) return null;
    if (method === 'GET') {
      if (query < 0 || headers[options.csrfHeader] === undefined) return null;
      return { method, url, contentType, bytes: 0 };
    }
    if (method !== 'POST' || query >= 0 || !JSON_BODY.test(headers['content-type'] ?? '')) {
      return null;
    }
    const bytes = Number(headers['content-length']);
    if (!(bytes > 0 && bytes <= limits.smallBodyBytes)) return null;
    if (headers['transfer-encoding'] !== undefined) return null;
    return { method, url, contentType, bytes };
  };

  /**
   * The document a request runs, as the persisted-operation policy resolves it, or null; with
   * the id of the automatic persisted query that gave it.
   */
  const documentOf = async (
    viewer: Viewer,
    params: GraphQLParams,
  ): Promise<{ text: string; registered: string | null } | null> => {
    const partner = viewer.role === 'partner';
    if (typeof params.query === 'string') {
      // A partner's query is refused, an APQ registration is done, by the pipeline.
      return partner || apqHash(params) !== null ? null : { text: params.query, registered: null };
    }
    const id = operationId(params);
    if (id === null) return null;
    const fixed = trusted.get(id) ?? (partner ? undefined : shipped.get(id));
    if (fixed !== undefined) return { text: fixed, registered: null };
    if (partner) return null;
    const text = await apqStore.get(id);
    return text === null ? null : { text, registered: id };
  };

  /** The key of what `params` asks for `viewer`, or null when the pipeline must answer. */
  const prepare = async (viewer: Viewer, params: GraphQLParams): Promise<Prepared | null> => {
    const document = await documentOf(viewer, params);
    if (document === null || Buffer.byteLength(document.text, 'utf8') > limits.maxDocumentBytes) {
      return null;
    }
    const asRun = { query: document.text, operationName: params.operationName };
    const key = lookup.operationKey(viewer, { ...asRun, variables: params.variables });
    if (key === null) return null;
    return {
      key,
      name: hitName(asRun),
      registered: document.registered,
      documentLength: document.text.length,
    };
  };

  // Dashboards repeat the same requests: each one's text (token, and URL or body) is resolved
  // once (parsed, its persisted document found, its key hashed), not on every hit.
  const prepared = new LRUCache<string, Prepared>({
    maxSize: PREPARED_MAX_BYTES,
    sizeCalculation: (entry, text) => 2 * (text.length + entry.documentLength) + 256,
  });

  /** True once the hit is answered; false when the pipeline must answer. */
  const serve = async (
    request: IncomingMessage,
    response: ServerResponse,
    asked: Candidate,
    started: number,
    reading: { started: boolean; done: boolean },
  ): Promise<boolean> => {
    const authorization = request.headers.authorization ?? null;
    // Each step that has its result at hand takes it without an await, so a hit whose token,
    // tenant, text and answer are all known is written in the turn its request arrived.
    const viewer =
      authenticate.known(asked.url, authorization) ??
      (await authenticate.fromHeaders(asked.url, authorization));
    let text = asked.url;
    if (asked.method === 'POST') {
      const tenant = viewer.customerId;
      if (!lanes.small.tryAcquire(tenant, asked.bytes)) return false;
      response.once('close', () => lanes.small.release(tenant, asked.bytes));
      reading.started = true;
      // The 'request' event comes as the headers are parsed, before the parser reaches a body
      // that came in the same packet: a turn of the microtask queue lets it through, far
      // cheaper than waiting for events behind a timer.
      if (request.readableLength < asked.bytes) await undefined;
      const body =
        arrivedBody(request, asked.bytes) ??
        (await readBody(request, allowedMs(asked.bytes, lanes.rate)));
      if (body === null) {
        response.writeHead(408, {
          'content-type': asked.contentType,
          connection: 'close',
        });
        response.end(refusalBody(LIMIT_CODES.slowBody));
        return true;
      }
      // The pipeline takes a body already read from here.
      (request as IncomingMessage & { body?: Buffer }).body = body;
      reading.done = true;
      text = body.toString('utf8');
    }
    const requestText = `${asked.method} ${authorization ?? ''}\n${text}`;
    let resolved = prepared.get(requestText);
    if (resolved === undefined) {
      const params = asked.method === 'GET' ? getParams(text) : postParams(text);
      if (params === null) return false;
      const fresh = await prepare(viewer, params);
      if (fresh === null) return false;
      resolved = fresh;
      prepared.set(requestText, resolved);
    } else if (resolved.registered !== null && (await apqStore.get(resolved.registered)) === null) {
      return false;
    }
    const answer = lookup.answerNow
      ? lookup.answerNow(viewer.customerId, resolved.key)
      : await lookup.answer(viewer.customerId, resolved.key);
    if (answer === null) return false;
    if (limiter) {
      try {
        await limiter.consume(viewer.customerId);
      } catch (rejection) {
        // Over the limit: the pipeline counts it and answers 429.
        if (rejection instanceof RateLimiterRes) return false;
        options.logger.warn({ err: rejection }, 'rate limiter unavailable; request let through');
      }
    }
    options.metrics.observeHit(resolved.name, (performance.now() - started) / 1000);
    if (asked.method === 'POST') {
      response.writeHead(200, {
        'content-type': asked.contentType,
        'content-length': answer.length,
        [CACHE_STATUS_HEADER]: 'HIT',
      });
      response.end(answer);
      return true;
    }
    const etag = etagOf(answer);
    if (matchesEtag(request.headers['if-none-match'] ?? null, etag)) {
      response.writeHead(304, { etag, ...PRIVATE_ANSWER, [CACHE_STATUS_HEADER]: 'HIT' });
      response.end();
      return true;
    }
    response.writeHead(200, {
      'content-type': asked.contentType,
      'content-length': answer.length,
      etag,
      ...PRIVATE_ANSWER,
      [CACHE_STATUS_HEADER]: 'HIT',
    });
    response.end(answer);
    return true;
  };

  return (next) => (request, response) => {
    const asked = candidate(request);
    if (asked === null) {
      next(request, response);
      return;
    }
    const reading = { started: false, done: false };
    serve(request, response, asked, performance.now(), reading).then(
      (served) => {
        if (!served) next(request, response);
      },
      (error: unknown) => {
        // A refused token, a store that failed, a client gone: the pipeline answers as always.
        if (!reading.started || reading.done || request.complete) {
          options.logger.debug({ err: error }, 'cache-hit path handed over');
          next(request, response);
        } else {
          response.destroy();
        }
      },
    );
  };
}
