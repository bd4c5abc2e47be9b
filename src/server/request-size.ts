import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LIMIT_CODES, limitError } from './limit-refusals.js';

/** Reads a body of unknown length, refusing it as soon as it passes `maxBytes`. */
async function readCapped(request: Request, maxBytes: number): Promise<string> {
  const reader = request.body?.getReader();
  if (!reader) return '';
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
  return Buffer.concat(chunks).toString('utf8');
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
 * whitespace, so only the raw size bounds the work a document costs.
 */
export function useRequestSizeLimits(limits: {
  maxBodyBytes: number;
  maxDocumentBytes: number;
}): Plugin {
  return {
    onRequestParse({ request, setRequestParser }) {
      if (request.method !== 'POST') return;
      const length = request.headers.get('content-length');
      if (length !== null) {
        if (Number(length) > limits.maxBodyBytes) throw bodyTooLarge(limits.maxBodyBytes);
        return;
      }
      // A body without a length (chunked) is counted as it arrives.
      if (!request.headers.get('content-type')?.includes('json')) return;
      setRequestParser(async (parsed) => {
        const text = await readCapped(parsed, limits.maxBodyBytes);
        try {
          return JSON.parse(text) as Record<string, unknown>;
        } catch {
          throw new GraphQLError('POST body sent invalid JSON.', {
            extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
          });
        }
      });
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
