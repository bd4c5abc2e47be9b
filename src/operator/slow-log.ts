import type { Logger } from '../logger.js';
import type { SlowStatement } from '../db/request-db.js';

/** A slow statement as the operator sees it: whose, which operation, its text and plan. */
export interface SlowLogEntry extends SlowStatement {
  at: string;
  requestId: string;
  customerId: string;
  operation: string;
}

/** How many slow statements are kept in memory (the oldest give way). */
export const SLOW_LOG_SIZE = 100;

/**
 * The statements that took at least SLOW_QUERY_MS, newest last, each with its plan: kept in a
 * bounded log for `npm run doctor` and operatorReport, and written to the log as JSON.
 */
export class SlowLog {
  private readonly entries: SlowLogEntry[] = [];
  /** Slow statements since start, including those no longer kept. */
  total = 0;

  constructor(private readonly logger: Logger) {}

  /** Keeps and logs one slow statement. */
  record(entry: SlowLogEntry): void {
    this.total += 1;
    this.entries.push(entry);
    if (this.entries.length > SLOW_LOG_SIZE) this.entries.shift();
    this.logger.warn({ slowStatement: entry }, 'slow statement');
  }

  /** The kept entries, newest first. */
  list(): SlowLogEntry[] {
    return [...this.entries].reverse();
  }
}
