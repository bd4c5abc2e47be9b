import type { Plugin } from 'graphql-yoga';
import { BodyBudget } from './body-budget.js';
import { LIMIT_CODES, limitError } from './limit-refusals.js';

/** Reads a body of unknown length, refusing it as soon as it passes `maxBytes`. */
async function readCapped(request: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const reader = request.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
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

/**
 * Refuses bodies over `maxBodyBytes` (413) before parsing them, and documents over
 * `maxDocumentBytes` (400) before lexing them: the token limit does not count comments or
 * whitespace, so only the raw size bounds the work a document costs. It replaces Yoga's own
 * body limit (`maxRequestBodySize: false`), which streams every body through a transform
 * stream even when its length is announced; Node's HTTP parser never reads past an announced
 * length, so only a body without one needs counting. Before a body is read, its bytes (the
 * announced length, or `maxBodyBytes`) are taken from a budget of `maxBodiesInFlightBytes`
 * and given back with the response: concurrent uploads wait for each other rather than fill
 * the heap, and one that waits longer than `waitMs` is refused with 503 OVERLOADED.
 */
export function useRequestSizeLimits(
  limits: { maxBodyBytes: number; maxBodiesInFlightBytes: number; maxDocumentBytes: number },
  waitMs: number,
): Plugin {
  const budget = new BodyBudget(limits.maxBodiesInFlightBytes);
  const held = new WeakMap<Request, number>();
  return {
    async onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      if (request.method !== 'POST') return;
      const length = request.headers.get('content-length');
      if (length !== null && Number(length) > limits.maxBodyBytes) {
        throw bodyTooLarge(limits.maxBodyBytes);
      }
      const bytes = length === null ? limits.maxBodyBytes : Number(length);
      if (!(await budget.acquire(bytes, waitMs))) {
        throw limitError(
          LIMIT_CODES.overloaded,
          `the gateway holds ${limits.maxBodiesInFlightBytes} bytes of request bodies at most (MAX_BODIES_IN_FLIGHT_BYTES) and this one waited ${waitMs} ms for room; retry shortly`,
          { limit: limits.maxBodiesInFlightBytes, size: bytes },
        );
      }
      held.set(request, bytes);
      if (length !== null || !requestParser) return;
      // A body without a length (chunked) is counted as it arrives, then parsed as any other.
      const parse = requestParser;
      setRequestParser(async (chunked) =>
        parse(
          new fetchAPI.Request(chunked.url, {
            method: chunked.method,
            headers: chunked.headers,
            body: await readCapped(chunked, limits.maxBodyBytes),
          }),
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
    onResponse({ request }) {
      const bytes = held.get(request);
      if (bytes === undefined) return;
      held.delete(request);
      budget.release(bytes);
    },
  };
}
