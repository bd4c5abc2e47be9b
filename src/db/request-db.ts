import type { Sql } from 'sql-template-tag';
import { translateDatabaseError } from './errors.js';
import type { Pool, PoolClient, QueryResultRow } from './pool.js';

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

/**
 * The database as one request sees it: one pooled connection, one transaction, opened on the
 * first statement with the tenant context set locally (`set_config(..., true)`), so nothing
 * of it survives the transaction and reaches the next request on that connection.
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

  constructor(
    private readonly pool: Pool,
    private readonly settings: RequestSettings,
  ) {}

  /** Runs one statement in the request's transaction and returns its rows. */
  query<R extends QueryResultRow>(statement: Sql): Promise<R[]> {
    const run = this.tail.then(async () => {
      const client = await this.connection();
      this.statements += 1;
      try {
        const result = await client.query<R>(statement.text, statement.values);
        return result.rows;
      } catch (error) {
        throw translateDatabaseError(error);
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

  private async end(outcome: 'commit' | 'rollback'): Promise<void> {
    await this.tail;
    this.finished = true;
    if (this.client === null) return;
    const client = await this.client;
    try {
      await client.query(outcome === 'commit' ? 'COMMIT' : 'ROLLBACK');
      client.release();
    } catch (error) {
      // A connection whose transaction state is unknown must not serve another request.
      client.release(error instanceof Error ? error : true);
      throw error;
    }
    if (outcome === 'commit') {
      for (const work of this.afterCommit) await work();
    }
  }

  private connection(): Promise<PoolClient> {
    if (this.finished) throw new Error('the request transaction is already finished');
    this.client ??= this.open();
    return this.client;
  }

  private async open(): Promise<PoolClient> {
    const client = await this.pool.connect();
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
      throw error;
    }
  }
}
