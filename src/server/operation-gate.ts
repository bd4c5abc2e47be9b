import type { GraphQLParams, Plugin } from 'graphql-yoga';
import type { RequestAuthenticator } from '../auth/request-auth.js';
import {
  apqHash,
  idKey,
  notInList,
  operationId,
  persistedOnly,
  policyError,
} from './persisted-operations.js';
import type { TrustedDocuments } from './trusted-documents.js';

/**
 * The header Apollo Kotlin and Apollo iOS send with the id of the persisted operation a request
 * runs, ahead of its body.
 */
export const OPERATION_ID_HEADER = 'x-apollo-operation-id';

/**
 * The persisted-operation policy as far as it can be applied before a body is budgeted, for
 * the callers that may run trusted documents only (partners).
 */
export interface OperationGate {
  /**
   * Applies the policy as far as the request line and headers tell: throws its refusal, or
   * returns whether the body must name a trusted document in its first bytes before it may
   * hold more than a small body's budget.
   */
  fromHeaders(request: Request): boolean;
  /**
   * Applies it to the first bytes of a JSON body: throws its refusal; true once they show the
   * request may go on, false while they do not tell yet.
   */
  fromPrefix(prefix: string): boolean;
  /** Checks, once the body is parsed, that it runs the operation its header named. */
  plugin: Plugin;
}

type PrefixVerdict =
  | { kind: 'query' }
  | { kind: 'id'; id: string }
  | { kind: 'none' }
  | { kind: 'undecided' }
  | { kind: 'malformed' };

const UNDECIDED: PrefixVerdict = { kind: 'undecided' };
const MALFORMED: PrefixVerdict = { kind: 'malformed' };
const NONE: PrefixVerdict = { kind: 'none' };

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

function skipSpace(text: string, from: number): number {
  let at = from;
  while (isSpace(text[at])) at += 1;
  return at;
}

/** Index after the JSON string that starts at `from`, or -1 when the prefix ends inside it. */
function stringEnd(text: string, from: number): number {
  for (let at = from + 1; at < text.length; at += 1) {
    if (text[at] === '\\') at += 1;
    else if (text[at] === '"') return at + 1;
  }
  return -1;
}

/** Index after the JSON value that starts at `from`, or -1 when the prefix ends inside it. */
function valueEnd(text: string, from: number): number {
  const first = text[from];
  if (first === '"') return stringEnd(text, from);
  if (first === '{' || first === '[') {
    let depth = 0;
    for (let at = from; at < text.length; at += 1) {
      const c = text[at];
      if (c === '"') {
        const end = stringEnd(text, at);
        if (end < 0) return -1;
        at = end - 1;
      } else if (c === '{' || c === '[') {
        depth += 1;
      } else if (c === '}' || c === ']') {
        depth -= 1;
        if (depth === 0) return at + 1;
      }
    }
    return -1;
  }
  let at = from;
  while (at < text.length && !',}] \t\n\r'.includes(text[at] as string)) at += 1;
  return at < text.length ? at : -1;
}

function parsed(text: string): { value: unknown } | null {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return null;
  }
}

/**
 * What the first bytes of a JSON request body say about its operation, read member by member
 * at the top level without waiting for the rest: a `query` (its text has begun), the id of a
 * persisted operation (`documentId`, or `extensions` holding an APQ hash), an object that
 * ended with neither, or not yet known.
 */
export function scanPrefix(text: string): PrefixVerdict {
  let at = skipSpace(text, 0);
  if (at >= text.length) return UNDECIDED;
  if (text[at] !== '{') return MALFORMED;
  at += 1;
  for (;;) {
    at = skipSpace(text, at);
    if (at >= text.length) return UNDECIDED;
    if (text[at] === '}') return NONE;
    if (text[at] !== '"') return MALFORMED;
    const keyEnd = stringEnd(text, at);
    if (keyEnd < 0) return UNDECIDED;
    const key = parsed(text.slice(at, keyEnd))?.value;
    at = skipSpace(text, keyEnd);
    if (at >= text.length) return UNDECIDED;
    if (text[at] !== ':') return MALFORMED;
    at = skipSpace(text, at + 1);
    if (at >= text.length) return UNDECIDED;
    if (key === 'query' && text[at] === '"') return { kind: 'query' };
    const end = valueEnd(text, at);
    if (end < 0) return UNDECIDED;
    if (key === 'documentId' || key === 'extensions') {
      const member = parsed(text.slice(at, end));
      if (!member) return MALFORMED;
      const id =
        key === 'documentId'
          ? typeof member.value === 'string'
            ? idKey(member.value)
            : null
          : apqHash({ extensions: member.value } as GraphQLParams);
      if (id !== null) return { kind: 'id', id };
    }
    at = skipSpace(text, end);
    if (at >= text.length) return UNDECIDED;
    if (text[at] === '}') return NONE;
    if (text[at] !== ',') return MALFORMED;
    at += 1;
  }
}

/** The persisted-operation id a GET request's query string names, if any. */
function urlOperationId(query: URLSearchParams): string | null {
  const documentId = query.get('documentId');
  if (documentId !== null) return idKey(documentId);
  const extensions = query.get('extensions');
  if (extensions === null) return null;
  return apqHash({ extensions: parsed(extensions)?.value } as GraphQLParams);
}

/**
 * The persisted-operation policy of callers that may run trusted documents only, applied
 * before their bodies are budgeted: a GET is decided from its query string (a query is
 * refused, an id must be trusted); a POST whose body is a document (`application/graphql`)
 * is refused; a POST naming its operation in `X-Apollo-Operation-Id` is refused from its
 * headers when the id is not trusted, and its body must then run that same operation. Any
 * other POST of theirs must show its trusted id in its first bytes (the caller reads them
 * within a small body's budget) before it may hold more.
 */
export function operationGate(
  trusted: TrustedDocuments,
  authenticate: RequestAuthenticator,
  prefixBytes: number,
): OperationGate {
  const named = new WeakMap<Request, string>();
  const mustBeTrusted = (id: string) => {
    if (!trusted.has(id)) throw notInList();
  };
  return {
    fromHeaders(request) {
      if (authenticate.verified(request)?.role !== 'partner') return false;
      if (request.method === 'GET') {
        if (!request.url.includes('?')) return false;
        const query = new URL(request.url).searchParams;
        if (query.has('query')) throw persistedOnly();
        const id = urlOperationId(query);
        if (id !== null) mustBeTrusted(id);
        return false;
      }
      if (request.method !== 'POST') return false;
      if (/^application\/graphql\b/i.test(request.headers.get('content-type') ?? '')) {
        throw persistedOnly();
      }
      const header = request.headers.get(OPERATION_ID_HEADER);
      if (header === null) return true;
      const id = idKey(header.trim());
      mustBeTrusted(id);
      named.set(request, id);
      return false;
    },
    fromPrefix(prefix) {
      const verdict = scanPrefix(prefix);
      switch (verdict.kind) {
        case 'query':
          throw persistedOnly();
        case 'id':
          mustBeTrusted(verdict.id);
          return true;
        case 'none':
          return true;
        case 'malformed':
          throw policyError('the request body is not a JSON object', 'BAD_REQUEST', 400);
        case 'undecided':
          if (prefix.length <= prefixBytes) return false;
          throw policyError(
            `a partner's request body over ${prefixBytes} bytes (SMALL_BODY_BYTES) must name its trusted document within its first ${prefixBytes} bytes: send documentId (or extensions) before variables, or the X-Apollo-Operation-Id header`,
            'PERSISTED_QUERY_ID_REQUIRED',
            400,
          );
      }
    },
    plugin: {
      onParams({ request, params }) {
        const id = named.get(request);
        if (id === undefined) return;
        if (operationId(params) !== id) {
          throw policyError(
            `the body runs another operation than the ${OPERATION_ID_HEADER} header names`,
            'PERSISTED_QUERY_ID_MISMATCH',
            400,
          );
        }
      },
    },
  };
}
