/** The earliest sale or snapshot time accepted: anything older is a typo (1900, 0001), not history. */
export const EARLIEST_INGEST_TIME = new Date('2000-01-01T00:00:00Z');

/** How far past the server clock an ingested time may lie (clock skew of the sender). */
export interface IngestTimeRule {
  futureToleranceMs: number;
}

/** The rule when none is configured: FUTURE_TOLERANCE_SECONDS' default, five minutes. */
export const DEFAULT_INGEST_TIME_RULE: IngestTimeRule = { futureToleranceMs: 300_000 };

/**
 * Why `time` cannot be stored as a sale or snapshot time, as the end of a sentence that names
 * the line ("sales[3].time …"), or null when it can: later than now plus the tolerance, or
 * before 2000-01-01.
 */
export function ingestTimeProblem(
  time: Date,
  rule: IngestTimeRule,
  now: number = Date.now(),
): string | null {
  const latest = now + rule.futureToleranceMs;
  if (time.getTime() > latest) {
    return `is in the future: ${time.toISOString()} is later than the server's clock plus ${Math.round(rule.futureToleranceMs / 1000)} s (${new Date(latest).toISOString()}); send the instant it happened, with its UTC offset`;
  }
  if (time.getTime() < EARLIEST_INGEST_TIME.getTime()) {
    return `is before ${EARLIEST_INGEST_TIME.toISOString()} (${time.toISOString()}); check the year`;
  }
  return null;
}
