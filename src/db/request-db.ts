import type { Sql } from 'sql-template-tag';
import { cancelStatement } from './cancel.js';
import { translateDatabaseError } from './errors.js';
import type { Pool, PoolClient, QueryResultRow } from './pool.js';
import { asUnavailable } from './unavailable.js';

/** The gateway's database role: owns nothing, cannot bypass row-level security. */
export const GATEWAY_ROLE = 'shelfops_gateway';

/** Who the statements of one request run as, set transaction-locally. */
export interface RequestSettings {
  customerId: string;
  role: string;
  /** null: every store of the tenant. */
  storeIds: readonly string[] | null;
  statementTimeoutMs: number;
}

/** What ends a request early: its client going away. */
export interface RequestAbort {
  signal: AbortSignal;
  /**
   * Cancel the statement in flight in PostgreSQL (a server); without it the statement runs to
   * its end (the embedded database runs in this thread, one statement at a time).
   */
  cancelStatement: boolean;
}

/** Raised for statements asked for after the request's client went away. */
export class RequestAbortedError extends Error {
  constructor() {
    super('the client closed the request');
    this.name = 'RequestAbortedError';
  }
}

/**
 * The database as one request sees it: one pooled connection, one transaction, opened on the
 * first statement with the tenant context set locally (`set_config(..., true)`), so nothing
 * of it survives the transaction and reaches the next request on that connection. A lost
 * connection or a pool that stays full raises DatabaseUnavailableError; when the client goes
 * away, the statement in flight is cancelled and the transaction rolled back.
 */
export class RequestDb {
  /** Statements run for the request, not counting transaction control. */
  statements = 0;
  private client: Promise<PoolClient> | null = null;
  private finished = false;
  private finishing: Promise<void> | null = null;
  private readonly afterCommit: Array<() => Promise<void>> = [];
  // Statements of one request run one after another on its connection, even when sibling
  // resolvers ask at the same time.
  private tail: Promise<unknown> = Promise.resolve();
  // The connection while a statement of the request runs on it: what an abort cancels.
  private running: PoolClient | null = null;

  constructor(
    private readonly pool: Pool,
    private readonly settings: RequestSettings,
    private readonly abort: RequestAbort | null = null,
  ) {
    abort?.signal.addEventListener('abort', () => this.cancel(), { once: true });
  }

  /** Runs one statement in the request's transaction and returns its rows. */
  query<R extends QueryResultRow>(statement: Sql): Promise<R[]> {
    const run = this.tail.then(async () => {
      const client = await this.connection();
      if (this.abort?.signal.aborted) throw new RequestAbortedError();
      this.statements += 1;
      this.running = client;
      try {
        const result = await client.query<R>(statement.text, statement.values);
        return result.rows;
      } catch (error) {
        if (this.abort?.signal.aborted) throw new RequestAbortedError();
        throw asUnavailable(error) ?? translateDatabaseError(error);
      } finally {
        this.running = null;
      }
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Schedules work (such as a rollup refresh) for after a successful commit. */
  onCommit(work: () => Promise<void>): void {
    this.afterCommit.push(work);
  }

  /** Commits (or rolls back) and returns the connection; a no-op when nothing ran. */
  finish(outcome: 'commit' | 'rollback'): Promise<void> {
    this.finishing ??= this.end(outcome);
    return this.finishing;
  }

  private async end(requested: 'commit' | 'rollback'): Promise<void> {
    await this.tail;
    this.finished = true;
    if (this.client === null) return;
    // A client that went away gets no answer: nothing it asked for is kept.
    const outcome = this.abort?.signal.aborted ? 'rollback' : requested;
    let client: PoolClient;
    try {
      client = await this.client;
    } catch (error) {
      if (outcome === 'rollback') return;
      throw asUnavailable(error) ?? error;
    }
    try {
      await client.query(outcome === 'commit' ? 'COMMIT' : 'ROLLBACK');
      client.release();
    } catch (error) {
      // A connection whose transaction state is unknown must not serve another request. A
      // failed rollback leaves nothing behind (the server ends the transaction with the
      // connection); a failed commit may or may not have committed, which the caller must hear.
      client.release(error instanceof Error ? error : true);
      if (outcome === 'rollback') return;
      throw asUnavailable(error) ?? error;
    }
    if (outcome === 'commit') {
      for (const work of this.afterCommit) await work();
    }
  }

  private cancel(): void {
    if (this.running && this.abort?.cancelStatement) void cancelStatement(this.running);
  }

  private connection(): Promise<PoolClient> {
    if (this.finished) throw new Error('the request transaction is already finished');
    this.client ??= this.open();
    return this.client;
  }

  private async open(): Promise<PoolClient> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw asUnavailable(error) ?? error;
    }
    try {
      await client.query('BEGIN');
      const { customerId, role, storeIds, statementTimeoutMs } = this.settings;
      await client.query(
        '/* setRequestContext */ SELECT set_config(key, value, true) FROM json_each_text($1::json)',
        [
          JSON.stringify({
            role: GATEWAY_ROLE,
            'app.customer_id': customerId,
            'app.role': role,
            'app.store_ids': storeIds === null ? '*' : storeIds.join(',') || 'none',
            statement_timeout: String(statementTimeoutMs),
            // Names resolve in the schema the gateway's grants cover, whatever the session says.
            search_path: 'public',
          }),
        ],
      );
      return client;
    } catch (error) {
      client.release(error instanceof Error ? error : true);
      throw asUnavailable(error) ?? error;
    }
  }
}
