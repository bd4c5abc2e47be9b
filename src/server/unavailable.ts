import { GraphQLError } from 'graphql';
import { maskError, type Plugin } from 'graphql-yoga';
import { asUnavailable, type UnavailableReason } from '../db/unavailable.js';
import type { Logger } from '../logger.js';

/** The error code of a request the database could not serve for now. */
export const DATABASE_UNAVAILABLE = 'DATABASE_UNAVAILABLE';

// A restarted server takes seconds to come back; a full pool frees up within a statement.
const RETRY_AFTER_SECONDS: Record<UnavailableReason, number> = { unreachable: 5, busy: 1 };

const MESSAGES: Record<UnavailableReason, string> = {
  unreachable: 'The database is unavailable right now; retry in a few seconds.',
  busy: 'Every database connection is busy; retry in a moment.',
};

/** The masked, typed error a client gets when the database cannot serve its request. */
export function databaseUnavailableError(
  reason: UnavailableReason,
  from?: GraphQLError,
): GraphQLError {
  return new GraphQLError(MESSAGES[reason], {
    ...(from ? { nodes: from.nodes, source: from.source, positions: from.positions } : {}),
    path: from?.path,
    extensions: { code: DATABASE_UNAVAILABLE, retryAfterSeconds: RETRY_AFTER_SECONDS[reason] },
  });
}

/**
 * Yoga's error masking, except that a lost, restarting or saturated database becomes
 * DATABASE_UNAVAILABLE (logged, its details kept from the client) rather than an unexpected error.
 */
export function createErrorMask(logger: Logger) {
  return (error: unknown, message: string, isDev?: boolean): Error => {
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    const unavailable = asUnavailable(original);
    if (unavailable === null) return maskError(error, message, isDev);
    logger.warn({ err: unavailable.cause, reason: unavailable.reason }, 'database unavailable');
    return databaseUnavailableError(
      unavailable.reason,
      error instanceof GraphQLError ? error : undefined,
    );
  };
}

/**
 * Answers HTTP 503 with Retry-After when the database could not serve a request and no data
 * was returned; a response carrying partial data stays 200, as GraphQL over HTTP asks.
 */
export function useUnavailableStatus(): Plugin {
  return {
    onResultProcess({ result, setResult }) {
      if (Array.isArray(result) || Symbol.asyncIterator in result) return;
      // Errors first: a cached answer parses its data only when something reads it.
      const error = result.errors?.find((e) => e.extensions?.code === DATABASE_UNAVAILABLE);
      if (!error || (result.data !== null && result.data !== undefined)) return;
      const retryAfter = Number(error.extensions?.retryAfterSeconds);
      setResult({
        ...result,
        extensions: {
          ...result.extensions,
          http: { status: 503, headers: { 'Retry-After': String(retryAfter) } },
        },
      });
    },
  };
}
