import sql, { type Sql } from 'sql-template-tag';
import { cancelStatement } from './cancel.js';
import { queryCancelledError, translateDatabaseError } from './errors.js';
import type { QueryConfig } from 'pg';
import { withDeadline, type Pool, type PoolClient, type QueryResultRow } from './pool.js';
import { statementTag } from './statement-tag.js';
import { asUnavailable } from './unavailable.js';

/** The gateway's database role: owns nothing, cannot bypass row-level security. */
export const GATEWAY_ROLE = 'shelfops_gateway';

/**
 * How much longer than its statement timeout the driver waits for an answer to a round trip.
 * A server that runs ends a statement first, with its own timeout (TIMEOUT to the client);
 * only a server that cannot answer at all (frozen, or its host gone silent) meets this
 * deadline, which the driver turns into "Query read timeout" (DATABASE_UNAVAILABLE).
 */
export const DEADLINE_MARGIN_MS = 1000;

/** The name of the statement that sets a request's context, after its BEGIN. */
export const SET_CONTEXT = '/* setRequestContext */';

/**
 * Where archived sales end: lines and rollup buckets before `before` are in the archive, those
 * from it on in the live tables; null when nothing is archived.
 */
export interface ArchiveHorizon {
  before: Date | null;
}

/** Who the statements of one request run as, set transaction-locally. */
export interface RequestSettings {
  customerId: string;
  role: string;
  /** null: every store of the tenant. */
  storeIds: readonly string[] | null;
  statementTimeoutMs: number;
  /**
   * The driver gives up on a round trip DEADLINE_MARGIN_MS after the statement timeout: for a
   * server, which may freeze; the embedded database runs in this process and always answers.
   */
  driverDeadline?: boolean;
  /** The database role the statements run as; by default the gateway's (GATEWAY_ROLE). */
  databaseRole?: string;
  /** Where statements slower than its `slowMs` go, with their plan. */
  slowStatements?: SlowStatementSink;
  /**
   * Answers of many rows come as one JSON text per row (queryAnswer): the embedded database's
   * own protocol reader copies every field of every row before pg reads it again.
   */
  answersAsJson?: boolean;
}

/** A statement that took at least the sink's `slowMs`, with its plan (EXPLAIN, same values). */
export interface SlowStatement {
  text: string;
  values: unknown[];
  durationMs: number;
  /** EXPLAIN (FORMAT JSON) under the same tenant context; null when the statement failed. */
  plan: unknown;
  /** SQLSTATE when the statement failed (57014: it reached the statement timeout). */
  errorCode: string | null;
}

/** Receives the slow statements of requests (SLOW_QUERY_MS). */
export interface SlowStatementSink {
  slowMs: number;
  record(statement: SlowStatement, db: RequestDb): void;
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
 * first statement with the tenant context set locally (`app.set_request_context`), so nothing
 * of it survives the transaction and reaches the next request on that connection. A lost
 * connection or a pool that stays full raises DatabaseUnavailableError; when the client goes
 * away, the statement in flight is cancelled and the transaction rolled back.
 */
export class RequestDb {
  /**
   * Statements run for the request's answer, not counting transaction control nor the
   * per-request reads every answer carries beside its data (its freshness).
   */
  statements = 0;
  /** Time its statements took, in ms, transaction control not counted. */
  databaseMs = 0;
  /** The GraphQL operation the request runs: part of the connection's statement tag. */
  operation = 'anonymous';
  /** The statement running now and since when (performance.now()); null between statements. */
  current: { text: string; startedAt: number } | null = null;
  /** The server process of the request's connection, once it has one. */
  backendPid: number | null = null;
  private cancelled = false;
  /** The per-request reads beside the answer: at most one per request. */
  sideStatements = 0;
  private client: Promise<PoolClient> | null = null;
  private finished = false;
  private finishing: Promise<void> | null = null;
  private readonly afterCommit: Array<() => Promise<void>> = [];
  // Statements of one request run one after another on its connection, even when sibling
  // resolvers ask at the same time.
  private tail: Promise<unknown> = Promise.resolve();
  // The connection while a statement of the request runs on it: what an abort cancels.
  private running: PoolClient | null = null;
  // Why the connection can serve no more round trips (lost, or its server did not answer).
  private lost: Error | null = null;
  /**
   * Whether the request only reads and its transaction should be one snapshot (REPEATABLE
   * READ, READ ONLY): every statement then sees the data as the first one did. Read when the
   * transaction opens, with the first statement.
   */
  readsOneSnapshot = false;
  private snapshot = false;
  private horizon: ArchiveHorizon | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly settings: RequestSettings,
    private readonly abort: RequestAbort | null = null,
  ) {
    abort?.signal.addEventListener('abort', () => this.cancel(), { once: true });
  }

  /**
   * The request's tenant, for statements to bind as `customer_id = $n` beside the policies:
   * row-level security stays the guarantee, the bound key lets Citus route to one shard.
   */
  get customerId(): string {
    return this.settings.customerId;
  }

  /**
   * Notes the archive horizon a statement of this transaction read. Kept only when the
   * transaction is one snapshot: then every later statement of the request sees the same.
   */
  noteArchiveHorizon(horizon: ArchiveHorizon): void {
    if (this.snapshot) this.horizon = horizon;
  }

  /** The archive horizon every statement of this transaction sees; undefined: not known. */
  get archiveHorizon(): ArchiveHorizon | undefined {
    return this.horizon;
  }

  /**
   * Runs one statement in the request's transaction and returns its rows; `side`: a read
   * beside the answer (counted apart, in sideStatements).
   */
  query<R extends QueryResultRow>(statement: Sql, options: { side?: boolean } = {}): Promise<R[]> {
    const run = this.tail.then(async () => {
      const client = await this.connection();
      if (this.abort?.signal.aborted) throw new RequestAbortedError();
      if (this.cancelled) throw queryCancelledError();
      if (options.side) this.sideStatements += 1;
      else this.statements += 1;
      this.running = client;
      const startedAt = performance.now();
      this.current = { text: statement.text, startedAt };
      let errorCode: string | null = null;
      try {
        const result = await client.query<R>(this.withDeadline(statement.text, statement.values));
        return result.rows;
      } catch (error) {
        errorCode = (error as { code?: string }).code ?? 'unknown';
        if (this.abort?.signal.aborted) throw new RequestAbortedError();
        if (this.cancelled) throw queryCancelledError();
        const unavailable = asUnavailable(error);
        if (unavailable) this.lost = unavailable;
        throw unavailable ?? translateDatabaseError(error);
      } finally {
        this.running = null;
        this.current = null;
        const durationMs = performance.now() - startedAt;
        this.databaseMs += durationMs;
        const sink = this.settings.slowStatements;
        if (sink && durationMs >= sink.slowMs && !this.lost) {
          const plan = errorCode === null ? await this.explain(client, statement) : null;
          sink.record(
            { text: statement.text, values: statement.values, durationMs, plan, errorCode },
            this,
          );
        }
      }
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Runs a statement whose answer has many rows of many columns, ending in its ORDER BY and
   * LIMIT, and returns its rows as query does. With answersAsJson each row comes as one JSON
   * text (a subquery scan keeps its statement's order): a 1 800-row trend of 17 columns reads
   * about twice as fast from the embedded database; on a server pg's own reading is cheaper.
   * `dates` names its timestamptz columns, which come back as Dates.
   */
  async queryAnswer<R extends QueryResultRow>(
    statement: Sql,
    dates: readonly (keyof R & string)[],
  ): Promise<R[]> {
    if (!this.settings.answersAsJson) return this.query<R>(statement);
    const rows = await this.query<{ row: string }>(
      sql`SELECT row_to_json(r)::text AS "row" FROM (${statement}) r`,
    );
    return rows.map(({ row }) => {
      const answer = JSON.parse(row) as Record<string, unknown>;
      for (const name of dates) {
        const value = answer[name];
        if (typeof value === 'string') answer[name] = new Date(value);
      }
      return answer as R;
    });
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
    if (this.lost) {
      // A ROLLBACK would wait for a server that did not answer: dropping the connection ends
      // the transaction on the server as well. A commit is impossible after a failed statement.
      client.release(this.lost);
      if (outcome === 'rollback') return;
      throw this.lost;
    }
    try {
      await client.query(this.withDeadline(outcome === 'commit' ? 'COMMIT' : 'ROLLBACK'));
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

  /** A round trip the driver gives up on DEADLINE_MARGIN_MS after the statement timeout. */
  private withDeadline(text: string, values?: unknown[]): QueryConfig {
    const { driverDeadline, statementTimeoutMs } = this.settings;
    return withDeadline(
      text,
      values,
      driverDeadline ? statementTimeoutMs + DEADLINE_MARGIN_MS : undefined,
    );
  }

  /**
   * Ends the request: the statement running on a server is cancelled, and every later one
   * raises QUERY_CANCELLED to its client. The embedded database runs one statement at a time
   * in this thread: there the request ends at its next statement (or when it gets its
   * connection).
   */
  cancelByOperator(): void {
    this.cancelled = true;
    if (this.running && this.abort?.cancelStatement) void cancelStatement(this.running);
  }

  // The plan of a statement just run, with the same values in the same transaction (so the
  // same tenant context); a savepoint keeps a failing EXPLAIN from aborting the request.
  private async explain(client: PoolClient, statement: Sql): Promise<unknown> {
    try {
      await client.query(this.withDeadline('SAVEPOINT explain_slow'));
      const { rows } = await client.query<{ 'QUERY PLAN': unknown }>(
        this.withDeadline(`EXPLAIN (FORMAT JSON) ${statement.text}`, statement.values),
      );
      await client.query(this.withDeadline('RELEASE SAVEPOINT explain_slow'));
      return rows[0]?.['QUERY PLAN'] ?? null;
    } catch {
      await client
        .query(this.withDeadline('ROLLBACK TO SAVEPOINT explain_slow'))
        .catch((error: unknown) => {
          this.lost = error instanceof Error ? error : new Error(String(error));
        });
      return null;
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
    if (this.cancelled) {
      client.release();
      throw queryCancelledError();
    }
    this.backendPid = (client as unknown as { processID: number | null }).processID;
    try {
      const snapshot = this.readsOneSnapshot;
      const { customerId, role, storeIds, statementTimeoutMs } = this.settings;
      const literal = (value: string) => client.escapeLiteral(value);
      // BEGIN and the context in one round trip (the simple protocol runs both; its values
      // are literals, each quoted by the driver). SET LOCAL through one function on every
      // backend: on Citus only SET LOCAL reaches the workers, where the policies run on the
      // shards (set_config(…, true) does not).
      const context = [
        literal(customerId),
        literal(role),
        literal(storeIds === null ? '*' : storeIds.join(',') || 'none'),
        String(Math.trunc(statementTimeoutMs)),
        literal(this.settings.databaseRole ?? GATEWAY_ROLE),
        literal(statementTag(customerId, this.operation)),
      ];
      await client.query(
        this.withDeadline(
          `${snapshot ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN'}; ${SET_CONTEXT} SELECT app.set_request_context(${context.join(', ')})`,
        ),
      );
      this.snapshot = snapshot;
      return client;
    } catch (error) {
      client.release(error instanceof Error ? error : true);
      throw asUnavailable(error) ?? error;
    }
  }
}
