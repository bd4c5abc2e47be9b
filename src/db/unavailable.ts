import { DatabaseError } from 'pg';

/** Why the database could not serve a request: gone (or restarting), or every connection busy. */
export type UnavailableReason = 'unreachable' | 'busy';

/**
 * The database could not run a statement for reasons that pass: the connection was lost, the
 * server is restarting or refuses connections, or no pooled connection was free in time. Raised
 * in place of the driver's error so that no server detail leaves the gateway.
 */
export class DatabaseUnavailableError extends Error {
  constructor(
    readonly reason: UnavailableReason,
    options: { cause: unknown },
  ) {
    super(
      reason === 'busy' ? 'no database connection was free in time' : 'the database is unreachable',
      options,
    );
    this.name = 'DatabaseUnavailableError';
  }
}

// SQLSTATE classes and codes of a server that went away or is not accepting work.
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', '58030']);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// pg reports a lost or unusable connection with plain Errors whose message is all there is.
const DRIVER_MESSAGES = [
  /^Connection terminated/,
  /is not queryable$/,
  /^Query read timeout$/,
  /^Connection ended unexpectedly$/,
];
const POOL_TIMEOUT = /^timeout exceeded when trying to connect$/;

/**
 * Returns a DatabaseUnavailableError when `error` says the database is gone or saturated, and
 * null for every other error (which keeps its own meaning).
 */
export function asUnavailable(error: unknown): DatabaseUnavailableError | null {
  if (error instanceof DatabaseUnavailableError) return error;
  if (!(error instanceof Error)) return null;
  if (error instanceof DatabaseError) {
    const code = error.code ?? '';
    return code.startsWith('08') || UNAVAILABLE_CODES.has(code)
      ? new DatabaseUnavailableError('unreachable', { cause: error })
      : null;
  }
  if (POOL_TIMEOUT.test(error.message)) {
    return new DatabaseUnavailableError('busy', { cause: error });
  }
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (NETWORK_CODES.has(code) || DRIVER_MESSAGES.some((m) => m.test(error.message))) {
    return new DatabaseUnavailableError('unreachable', { cause: error });
  }
  return null;
}
