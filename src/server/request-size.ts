import type { Plugin } from 'graphql-yoga';
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
 * length, so only a body without one needs counting.
 */
export function useRequestSizeLimits(limits: {
  maxBodyBytes: number;
  maxDocumentBytes: number;
}): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      if (request.method !== 'POST') return;
      const length = request.headers.get('content-length');
      if (length !== null) {
        if (Number(length) > limits.maxBodyBytes) throw bodyTooLarge(limits.maxBodyBytes);
        return;
      }
      if (!requestParser) return;
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
  };
}
