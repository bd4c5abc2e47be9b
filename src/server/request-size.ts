import type { GraphQLParams, Plugin } from 'graphql-yoga';
import { BodyBudget } from './body-budget.js';
import { LIMIT_CODES, limitError } from './limit-refusals.js';
import type { OperationGate } from './operation-gate.js';
import { isJsonBody } from './upload-body.js';

/**
 * Reads an upload's JSON body elsewhere than on the main thread: the request's parameters, or
 * null when the body is to be parsed as any other.
 */
export type UploadReader = (request: Request, body: Uint8Array) => Promise<GraphQLParams | null>;

/** How fast a body must arrive: after `graceMs`, at `bytesPerSecond` on average at least. */
export interface MinimumRate {
  graceMs: number;
  bytesPerSecond: number;
}

/** Resolves once the event loop has served what was waiting (I/O, timers). */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Milliseconds a body of `bytes` may take to arrive at the minimum rate. */
export function allowedMs(bytes: number, rate: MinimumRate): number {
  return rate.graceMs + (bytes / rate.bytesPerSecond) * 1000;
}

export function bodyTooSlow(rate: MinimumRate) {
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
 * Reads a body chunk by chunk, refusing it as soon as it passes `maxBytes`, or as soon as what
 * has arrived falls behind the minimum rate.
 */
class CappedReader {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  private readonly started = performance.now();

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array> | undefined,
    private readonly maxBytes: number,
    private readonly rate: MinimumRate,
  ) {}

  /** The next chunk (kept for `body`), or null at the end of the body. */
  async next(): Promise<Uint8Array | null> {
    const reader = this.reader;
    if (!reader) return null;
    const dueMs = this.started + allowedMs(this.size, this.rate) - performance.now();
    const { done, value } = await within(reader.read(), dueMs, this.rate, () => {
      reader.cancel().catch(() => undefined);
    });
    if (done) return null;
    this.size += value.byteLength;
    if (this.size > this.maxBytes) {
      await reader.cancel();
      throw bodyTooLarge(this.maxBytes);
    }
    this.chunks.push(value);
    return value;
  }

  /** The whole body, once the rest of it has arrived. */
  async body(): Promise<Uint8Array<ArrayBuffer>> {
    while ((await this.next()) !== null);
    const body = new Uint8Array(this.size);
    let offset = 0;
    for (const chunk of this.chunks) {
      body.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return body;
  }
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

/** The budgets of bodies held at once: uploads, and the small bodies' lane. */
export interface BodyLanes {
  uploads: BodyBudget;
  small: BodyBudget;
  /** Uploads that run at once (one unit each), so that they never take every connection. */
  running: BodyBudget;
  rate: MinimumRate;
  /** Requests whose bodies hold the uploads' budget: bulk work, not interactive. */
  uploadRequests: WeakSet<Request>;
}

/**
 * The lanes for `limits`; `uploadsAtOnce` uploads (bodies over `smallBodyBytes`) run at once,
 * whatever their tenants: the rest of the pool's connections stay for queries.
 */
export function bodyLanes(limits: BodyLimits, uploadsAtOnce = 1): BodyLanes {
  return {
    running: new BodyBudget(uploadsAtOnce, uploadsAtOnce),
    uploads: new BodyBudget(limits.maxBodiesInFlightBytes, limits.maxTenantBodiesInFlightBytes),
    small: new BodyBudget(
      SMALL_LANE_BODIES * limits.smallBodyBytes,
      (SMALL_LANE_BODIES / 2) * limits.smallBodyBytes,
    ),
    rate: {
      graceMs: limits.bodyGraceSeconds * 1000,
      bytesPerSecond: limits.bodyMinBytesPerSecond,
    },
    uploadRequests: new WeakSet(),
  };
}

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
 *
 * `gate` applies the persisted-operation policy of callers limited to trusted documents before
 * their bodies are budgeted: from the request line and headers, and for a body larger than a
 * small one, from its first bytes, read within the small lane's budget, so a request that does
 * not run a trusted document never holds an upload's budget.
 *
 * `readUpload` reads the JSON bodies of uploads (over `smallBodyBytes`) once they have arrived.
 */
export function useRequestSizeLimits(
  limits: BodyLimits,
  waitMs: number,
  tenantOf: (request: Request) => string,
  lanes: BodyLanes = bodyLanes(limits),
  gate?: OperationGate,
  readUpload?: UploadReader,
): Plugin {
  const { uploads, small, running, rate } = lanes;
  const held = new WeakMap<Request, Held>();
  const runs = new WeakMap<Request, string>();
  const readWhole = new WeakSet<Request>();
  const release = (request: Request) => {
    const entry = held.get(request);
    if (!entry) return;
    held.delete(request);
    entry.lane.release(entry.tenant, entry.bytes);
  };
  return {
    async onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const prefixFirst = gate?.fromHeaders(request) ?? false;
      if (request.method !== 'POST') return;
      const length = request.headers.get('content-length');
      if (length !== null && Number(length) > limits.maxBodyBytes) {
        throw bodyTooLarge(limits.maxBodyBytes);
      }
      const bytes = length === null ? limits.maxBodyBytes : Number(length);
      const tenant = tenantOf(request);
      const hold = async (lane: BodyBudget, laneBytes: number) => {
        if (!(await lane.acquire(tenant, laneBytes, waitMs))) {
          throw limitError(
            LIMIT_CODES.overloaded,
            `the gateway holds ${limits.maxBodiesInFlightBytes} bytes of request bodies at most (MAX_BODIES_IN_FLIGHT_BYTES), ${limits.maxTenantBodiesInFlightBytes} for one tenant, and this one waited ${waitMs} ms for room; retry shortly`,
            { limit: limits.maxBodiesInFlightBytes, size: laneBytes },
          );
        }
        held.set(request, { lane, tenant, bytes: laneBytes });
        if (lane === uploads) lanes.uploadRequests.add(request);
      };
      if (!requestParser) return hold(bytes <= limits.smallBodyBytes ? small : uploads, bytes);
      const parse = requestParser;
      const parsed = async (params: Awaited<ReturnType<typeof parse>>) => {
        readWhole.add(request);
        // An upload's parse is one long turn of the event loop: what arrived meanwhile (a
        // dashboard's query) goes first.
        if (held.get(request)?.lane === uploads) await nextTurn();
        return params;
      };
      const parseRead = async (body: Uint8Array<ArrayBuffer>) => {
        const read =
          readUpload &&
          held.get(request)?.lane === uploads &&
          isJsonBody(request.headers.get('content-type'))
            ? await readUpload(request, body)
            : null;
        return (
          read ??
          parse(
            new fetchAPI.Request(request.url, { method: 'POST', headers: request.headers, body }),
          )
        );
      };
      if (gate && prefixFirst && bytes > limits.smallBodyBytes) {
        // Its first bytes within a small body's budget: only a request they show to run a
        // trusted document goes on to hold the budget of its whole body.
        await hold(small, limits.smallBodyBytes);
        const reader = new CappedReader(request.body?.getReader(), limits.maxBodyBytes, rate);
        const decoder = new TextDecoder();
        let prefix = '';
        for (;;) {
          const chunk = await reader.next();
          if (chunk === null) break;
          prefix += decoder.decode(chunk, { stream: true });
          if (gate.fromPrefix(prefix)) break;
        }
        release(request);
        await hold(uploads, bytes);
        const body = await reader.body();
        setRequestParser(async () => parsed(await parseRead(body)));
        return;
      }
      await hold(bytes <= limits.smallBodyBytes ? small : uploads, bytes);
      if (length !== null) {
        const due = allowedMs(bytes, rate);
        // The budget returns when the deadline passes, not once the refusal is written.
        const arrived = <T>(work: Promise<T>) => within(work, due, rate, () => release(request));
        setRequestParser((body) =>
          bytes > limits.smallBodyBytes && readUpload
            ? arrived(body.arrayBuffer()).then((read) =>
                parseRead(new Uint8Array(read)).then(parsed),
              )
            : arrived(Promise.resolve(parse(body))).then(parsed),
        );
        return;
      }
      // A body without a length (chunked) is counted as it arrives, then parsed as any other.
      setRequestParser(async (chunked) =>
        parsed(
          await parseRead(
            await new CappedReader(chunked.body?.getReader(), limits.maxBodyBytes, rate).body(),
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
    async onExecute({ args }) {
      const { request } = args.contextValue as { request: Request };
      const entry = held.get(request);
      if (entry?.lane !== uploads) return;
      if (!(await running.acquire(entry.tenant, 1, waitMs))) {
        throw limitError(
          LIMIT_CODES.overloaded,
          `the gateway runs ${running.capacity} uploads at once, and this one waited ${waitMs} ms for its turn; retry shortly`,
          { limit: running.capacity },
        );
      }
      runs.set(request, entry.tenant);
      await nextTurn();
    },
    onResponse({ request, response }) {
      const runner = runs.get(request);
      if (runner !== undefined) {
        runs.delete(request);
        running.release(runner, 1);
      }
      release(request);
      if (request.method === 'POST' && !readWhole.has(request)) {
        response.headers.set('connection', 'close');
      }
    },
  };
}
