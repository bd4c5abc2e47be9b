import { GraphQLError } from 'graphql';

/** Error codes a client can act on; anything else is masked as INTERNAL_SERVER_ERROR. */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'CONSTRAINT_VIOLATION'
  | 'TIMEOUT'
  | 'QUERY_CANCELLED'
  | 'RATE_LIMITED'
  | 'COST_LIMIT'
  | 'TREND_TOO_LARGE';

const STATUS: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  RATE_LIMITED: 429,
  COST_LIMIT: 400,
  TREND_TOO_LARGE: 400,
};

/** A GraphQL error the caller caused, with a message that says what to change. */
export function userError(
  message: string,
  code: ErrorCode = 'BAD_USER_INPUT',
  details: Record<string, unknown> = {},
): GraphQLError {
  const status = STATUS[code];
  return new GraphQLError(message, {
    extensions: { code, ...details, ...(status ? { http: { status } } : {}) },
  });
}

/**
 * An integer argument from 1 to `max`, `fallback` when omitted; anything else is a
 * BAD_USER_INPUT naming the argument and its bounds.
 */
export function countArgument(
  value: number | null | undefined,
  argument: string,
  max: number,
  fallback: number,
): number {
  if (value === null || value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw userError(`${argument} must be between 1 and ${max}`, 'BAD_USER_INPUT', {
      argument,
      max,
    });
  }
  return value;
}
