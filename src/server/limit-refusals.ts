import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/** One `extensions.code` per limit, so a client can tell which one it hit. */
export const LIMIT_CODES = {
  depth: 'DEPTH_LIMIT',
  aliases: 'ALIAS_LIMIT',
  directives: 'DIRECTIVE_LIMIT',
  tokens: 'TOKEN_LIMIT',
  document: 'DOCUMENT_TOO_LARGE',
  cost: 'COST_LIMIT',
  trend: 'TREND_TOO_LARGE',
  body: 'BODY_TOO_LARGE',
  slowBody: 'BODY_TOO_SLOW',
  overloaded: 'OVERLOADED',
} as const;

export type LimitCode = (typeof LIMIT_CODES)[keyof typeof LIMIT_CODES];

// What production says instead of the figures: how to get under the limit, not where it is.
const PUBLIC_MESSAGES: Record<LimitCode, string> = {
  DEPTH_LIMIT: 'the operation nests fields too deeply; flatten it',
  ALIAS_LIMIT: 'the operation uses too many aliases; split it',
  DIRECTIVE_LIMIT: 'the operation uses too many directives; split it',
  TOKEN_LIMIT: 'the document is too long; split it',
  DOCUMENT_TOO_LARGE: 'the document is too large; split it or send it as a persisted operation',
  COST_LIMIT:
    'the operation costs more than your role allows; ask for fewer rows (first), buckets or nested fields',
  TREND_TOO_LARGE:
    'salesTrend would return too many buckets × groups; shorten the range, use a coarser granularity, group by less or filter stores/products',
  BODY_TOO_LARGE: 'the request body is too large',
  BODY_TOO_SLOW: 'the request body arrived too slowly; send it again faster or in smaller batches',
  OVERLOADED: 'the gateway is busy with other uploads; retry shortly',
};

// Extensions that tell how far a limit is.
const FIGURES = ['cost', 'maxCost', 'maxBuckets', 'buckets', 'groups', 'limit', 'size'];

const STATUS: Record<LimitCode, number> = {
  DEPTH_LIMIT: 400,
  ALIAS_LIMIT: 400,
  DIRECTIVE_LIMIT: 400,
  TOKEN_LIMIT: 400,
  DOCUMENT_TOO_LARGE: 400,
  COST_LIMIT: 400,
  TREND_TOO_LARGE: 400,
  BODY_TOO_LARGE: 413,
  BODY_TOO_SLOW: 408,
  OVERLOADED: 503,
};

const CODES = new Set<string>(Object.values(LIMIT_CODES));

/** The HTTP status and extensions of a refusal by the limit `code`. */
export function limitExtensions(code: LimitCode): Record<string, unknown> {
  // Only an overload passes with time; the other limits refuse the same request again.
  const headers = code === 'OVERLOADED' ? { headers: { 'Retry-After': '1' } } : {};
  return { code, http: { status: STATUS[code], ...headers } };
}

/** A refusal by the limit `code` (HTTP 400, 413 for the body, 503 when overloaded). */
export function limitError(
  code: LimitCode,
  message: string,
  figures: Record<string, unknown> = {},
): GraphQLError {
  return new GraphQLError(message, { extensions: { ...limitExtensions(code), ...figures } });
}

/** A refusal's JSON answer as production words it, for paths that answer before Yoga. */
export function refusalBody(code: LimitCode): string {
  return JSON.stringify({ errors: [{ message: PUBLIC_MESSAGES[code], extensions: { code } }] });
}

/**
 * graphql-armor's rejection callback: gives its error the limit's code and status (armor's own
 * errors carry neither, so they came back as HTTP 200).
 */
export function markRefusal(code: LimitCode) {
  return (_context: unknown, error: GraphQLError): void => {
    Object.assign(error.extensions as Record<string, unknown>, limitExtensions(code));
  };
}

/** The error as production shows it: no figure of a limit, a generic message for a refusal. */
function undisclosed(error: GraphQLError): GraphQLError {
  const code = error.extensions?.code;
  const isLimit = typeof code === 'string' && CODES.has(code);
  const hasFigures = FIGURES.some((key) => key in (error.extensions ?? {}));
  if (!isLimit && !hasFigures) return error;
  const extensions = Object.fromEntries(
    Object.entries(error.extensions ?? {}).filter(([key]) => !FIGURES.includes(key)),
  );
  return new GraphQLError(isLimit ? PUBLIC_MESSAGES[code as LimitCode] : error.message, {
    path: error.path ?? null,
    extensions,
  });
}

/**
 * Gives a refusal its own status: Yoga marks parse errors (the token limit) as the GraphQL over
 * HTTP spec's, which a plain `application/json` request receives with HTTP 200.
 */
function withStatus(error: GraphQLError): GraphQLError {
  const code = error.extensions?.code;
  if (typeof code !== 'string' || !CODES.has(code)) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes ?? null,
    source: error.source ?? null,
    positions: error.positions ?? null,
    path: error.path ?? null,
    extensions: { ...error.extensions, ...limitExtensions(code as LimitCode) },
  });
}

/**
 * Makes every refusal by a limit an HTTP 400 (413 for the body) with its code; with `hide`
 * (production) it says which limit was hit and how to get under it, never the limit's value
 * or the operation's cost, which would help probe for the largest request that passes.
 */
export function useLimitRefusals(hide: boolean): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || Symbol.asyncIterator in result) return;
      const errors = (result as { errors?: readonly GraphQLError[] }).errors;
      if (!errors?.length) return;
      const shown = errors.map((error) => (hide ? undisclosed(error) : error)).map(withStatus);
      setResult({ ...result, errors: shown } as typeof result);
    },
  };
}
