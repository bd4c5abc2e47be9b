import type { Plugin } from 'graphql-yoga';
import { BodyBudget } from './body-budget.js';
import { LIMIT_CODES, limitError } from './limit-refusals.js';

/** How fast a body must arrive: after `graceMs`, at `bytesPerSecond` on average at least. */
interface MinimumRate {
  graceMs: number;
  bytesPerSecond: number;
}

/** Milliseconds a body of `bytes` may take to arrive at the minimum rate. */
function allowedMs(bytes: number, rate: MinimumRate): number {
  return rate.graceMs + (bytes / rate.bytesPerSecond) * 1000;
}

function bodyTooSlow(rate: MinimumRate) {
  return limitError(
    LIMIT_CODES.slowBody,
    `the request body arrived slower than ${rate.bytesPerSecond} bytes/s after the first ${rate.graceMs / 1000} s (BODY_MIN_BYTES_PER_SECOND); send it again faster or in smaller batches`,
    { limit: rate.bytesPerSecond },
  );
}

/** `work`, or a BODY_TOO_SLOW refusal once `ms` have passed without it settling. */
function within<T>(work: Promise<T>, ms: number, rate: MinimumRate, onLate?: () => void) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onLate?.();
      reject(bodyTooSlow(rate));
    }, ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * Reads a body of unknown length, refusing it as soon as it passes `maxBytes`, or as soon as
 * what has arrived falls behind the minimum rate.
 */
async function readCapped(
  request: Request,
  maxBytes: number,
  rate: MinimumRate,
): Promise<Uint8Array<ArrayBuffer>> {
  const reader = request.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const started = performance.now();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const dueMs = started + allowedMs(size, rate) - performance.now();
    const { done, value } = await within(reader.read(), dueMs, rate, () => {
      reader.cancel().catch(() => undefined);
    });
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw bodyTooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

function bodyTooLarge(maxBytes: number) {
  return limitError(
    LIMIT_CODES.body,
    `the request body is larger than ${maxBytes} bytes; send fewer lines per request`,
    { limit: maxBytes },
  );
}

/** The body limits of `Config['limits']`. */
export interface BodyLimits {
  maxBodyBytes: number;
  maxBodiesInFlightBytes: number;
  maxTenantBodiesInFlightBytes: number;
  smallBodyBytes: number;
  maxDocumentBytes: number;
  bodyMinBytesPerSecond: number;
  bodyGraceSeconds: number;
}

/** Small bodies the small lane holds at once (half of them for one tenant). */
export const SMALL_LANE_BODIES = 16;

interface Held {
  lane: BodyBudget;
  tenant: string;
  bytes: number;
}

/**
 * Refuses bodies over `maxBodyBytes` (413) before reading them, and documents over
 * `maxDocumentBytes` (400) before lexing them: the token limit does not count comments or
 * whitespace, so only the raw size bounds the work a document costs. It replaces Yoga's own
 * body limit (`maxRequestBodySize: false`), which streams every body through a transform
 * stream even when its length is announced; Node's HTTP parser never reads past an announced
 * length, so only a body without one needs counting.
 *
 * It runs after authentication and the rate limit, which read the headers only: a request
 * without a valid token never takes a byte of the budget. Before a body is read, its bytes
 * (the announced length, or `maxBodyBytes` without one) are taken from a budget, in total and
 * for the tenant, and given back with the response: concurrent uploads wait for each other
 * rather than fill the heap, and one that waits longer than `waitMs` is refused with 503
 * OVERLOADED. Bodies up to `smallBodyBytes` (queries, small mutations) have a lane of their
 * own, so they never wait behind uploads. A body must arrive within `bodyGraceSeconds` plus its
 * size at `bodyMinBytesPerSecond`, else 408 BODY_TOO_SLOW: a client that trickles its body
 * cannot hold the budget for minutes. A response to a POST whose body was not read whole
 * closes its connection, so the rest of such a body is not read either.
 */
export function useRequestSizeLimits(
  limits: BodyLimits,
  waitMs: number,
  tenantOf: (request: Request) => string,
): Plugin {
  const uploads = new BodyBudget(
    limits.maxBodiesInFlightBytes,
    limits.maxTenantBodiesInFlightBytes,
  );
  const small = new BodyBudget(
    SMALL_LANE_BODIES * limits.smallBodyBytes,
    (SMALL_LANE_BODIES / 2) * limits.smallBodyBytes,
  );
  const rate: MinimumRate = {
    graceMs: limits.bodyGraceSeconds * 1000,
    bytesPerSecond: limits.bodyMinBytesPerSecond,
  };
  const held = new WeakMap<Request, Held>();
  const readWhole = new WeakSet<Request>();
  const release = (request: Request) => {
    const entry = held.get(request);
    if (!entry) return;
    held.delete(request);
    entry.lane.release(entry.tenant, entry.bytes);
  };
  return {
    async onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      if (request.method !== 'POST') return;
      const length = request.headers.get('content-length');
      if (length !== null && Number(length) > limits.maxBodyBytes) {
        throw bodyTooLarge(limits.maxBodyBytes);
      }
      const bytes = length === null ? limits.maxBodyBytes : Number(length);
      const lane = bytes <= limits.smallBodyBytes ? small : uploads;
      const tenant = tenantOf(request);
      if (!(await lane.acquire(tenant, bytes, waitMs))) {
        throw limitError(
          LIMIT_CODES.overloaded,
          `the gateway holds ${limits.maxBodiesInFlightBytes} bytes of request bodies at most (MAX_BODIES_IN_FLIGHT_BYTES), ${limits.maxTenantBodiesInFlightBytes} for one tenant, and this one waited ${waitMs} ms for room; retry shortly`,
          { limit: limits.maxBodiesInFlightBytes, size: bytes },
        );
      }
      held.set(request, { lane, tenant, bytes });
      if (!requestParser) return;
      const parse = requestParser;
      const parsed = (params: Awaited<ReturnType<typeof parse>>) => {
        readWhole.add(request);
        return params;
      };
      if (length !== null) {
        const due = allowedMs(bytes, rate);
        // The budget returns when the deadline passes, not once the refusal is written.
        setRequestParser((body) =>
          within(Promise.resolve(parse(body)), due, rate, () => release(request)).then(parsed),
        );
        return;
      }
      // A body without a length (chunked) is counted as it arrives, then parsed as any other.
      setRequestParser(async (chunked) =>
        parsed(
          await parse(
            new fetchAPI.Request(chunked.url, {
              method: chunked.method,
              headers: chunked.headers,
              body: await readCapped(chunked, limits.maxBodyBytes, rate),
            }),
          ),
        ),
      );
    },
    onParams({ params }) {
      if (typeof params.query !== 'string') return;
      const size = Buffer.byteLength(params.query, 'utf8');
      if (size > limits.maxDocumentBytes) {
        throw limitError(
          LIMIT_CODES.document,
          `the document is ${size} bytes, over the limit of ${limits.maxDocumentBytes} (comments and whitespace count); send a shorter document or a persisted operation`,
          { size, limit: limits.maxDocumentBytes },
        );
      }
    },
    onResponse({ request, response }) {
      release(request);
      if (request.method === 'POST' && !readWhole.has(request)) {
        response.headers.set('connection', 'close');
      }
    },
  };
}
