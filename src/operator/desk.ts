import type { Database } from '../db/database.js';
import type { JobRun, MaintenanceMode } from '../db/maintenance.js';
import type { SlowStatementSink } from '../db/request-db.js';
import type { Logger } from '../logger.js';
import { OperatorActivity, type OperationTimings } from './activity.js';
import { databaseReport, type DatabaseReport } from './database-report.js';
import { SlowLog, type SlowLogEntry } from './slow-log.js';

/** A TimescaleDB job as the report carries it: its times as ISO text, as JSON has them. */
export type ReportedJob = Omit<JobRun, 'nextStart' | 'lastRunAt' | 'lastDoneAt'> & {
  nextStart: string | null;
  lastRunAt: string | null;
  lastDoneAt: string | null;
};

/** Everything `npm run doctor` and operatorReport show: the database's figures and this process's. */
export interface OperatorReport {
  generatedAt: string;
  database: DatabaseReport;
  /**
   * Who runs the upkeep, and TimescaleDB's jobs judged as `/ready` judges them (a run recorded
   * Failed after it did its work is `done-recorded-failed`); paused where the gateway runs it.
   */
  upkeep: { mode: MaintenanceMode; jobs: ReportedJob[] };
  /** This gateway process: its requests running now, timings since start, slow statements. */
  gateway: {
    slowQueryMs: number;
    running: { id: string; customerId: string; operation: string; durationMs: number }[];
    slowestOperations: OperationTimings[];
    slowStatementsTotal: number;
    slowStatements: SlowLogEntry[];
  };
  /** Per tenant: the database's counts and this process's last hour. */
  tenants: (DatabaseReport['tenants'][number] & {
    requestsLastHour: number;
    databaseMsLastHour: number;
  })[];
}

/** The operator's view of one gateway process: its activity, slow log and report. */
export class OperatorDesk {
  readonly activity = new OperatorActivity();
  readonly slowLog: SlowLog;

  constructor(
    /** The gateway's database: its pool, its backend, and its upkeep (for the jobs). */
    private readonly database: Pick<Database, 'pool' | 'backend' | 'maintenance'>,
    logger: Logger,
    /** SLOW_QUERY_MS: statements at least this long are logged with their plan. */
    readonly slowMs: number,
  ) {
    this.slowLog = new SlowLog(logger);
  }

  /** Where one request's slow statements go. */
  slowStatements(requestId: string, customerId: string): SlowStatementSink {
    return {
      slowMs: this.slowMs,
      record: (statement, db) =>
        this.slowLog.record({
          ...statement,
          durationMs: Math.round(statement.durationMs * 10) / 10,
          at: new Date().toISOString(),
          requestId,
          customerId,
          operation: db.operation,
        }),
    };
  }

  /** The database's figures (without per-tenant counts), for /metrics. */
  databaseFigures(): Promise<DatabaseReport> {
    return databaseReport(this.database.pool, this.database.backend, false);
  }

  /** The whole report: the database read as the operator role, and this process's figures. */
  async report(): Promise<OperatorReport> {
    const database = await databaseReport(this.database.pool, this.database.backend);
    const { maintenance } = this.database;
    const jobs = await maintenance.jobs();
    const now = Date.now();
    const hour = new Map(this.activity.lastHour().map((t) => [t.customerId, t]));
    return {
      generatedAt: new Date().toISOString(),
      database,
      upkeep: {
        mode: maintenance.mode,
        jobs: jobs.map((job) => ({
          ...job,
          nextStart: job.nextStart?.toISOString() ?? null,
          lastRunAt: job.lastRunAt?.toISOString() ?? null,
          lastDoneAt: job.lastDoneAt?.toISOString() ?? null,
        })),
      },
      gateway: {
        slowQueryMs: this.slowMs,
        running: this.activity.active(null).map((r) => ({
          id: r.id,
          customerId: r.customerId,
          operation: r.operation,
          durationMs: Math.round(now - r.startedAt),
        })),
        slowestOperations: this.activity.slowestOperations(),
        slowStatementsTotal: this.slowLog.total,
        slowStatements: this.slowLog.list(),
      },
      tenants: database.tenants.map((t) => ({
        ...t,
        requestsLastHour: hour.get(t.customerId)?.requests ?? 0,
        databaseMsLastHour: hour.get(t.customerId)?.databaseMs ?? 0,
      })),
    };
  }
}
