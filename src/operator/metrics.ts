import type { Logger } from '../logger.js';
import type { Metrics } from '../server/metrics.js';
import type { DatabaseReport } from './database-report.js';
import type { OperatorDesk } from './desk.js';

// A scrape reads the database's figures at most this often (they change slowly, and reading
// them takes a few statements as the operator role).
const DATABASE_FIGURES_TTL_MS = 60_000;

/**
 * The operator report's numbers in /metrics: running requests and slow statements of this
 * process, and the database's active statements, unused indexes, relation sizes, compression
 * and rollup lag (read as the operator role, at most once a minute).
 */
export function registerOperatorMetrics(metrics: Metrics, desk: OperatorDesk, logger: Logger) {
  let cached: { at: number; figures: Promise<DatabaseReport | null> } | null = null;
  const figures = () => {
    if (!cached || Date.now() - cached.at > DATABASE_FIGURES_TTL_MS) {
      cached = {
        at: Date.now(),
        figures: desk.databaseFigures().catch((error: unknown) => {
          logger.warn({ err: error }, 'operator figures for /metrics could not be read');
          return null;
        }),
      };
    }
    return cached.figures;
  };
  metrics.gauge({
    name: 'shelfops_requests_running',
    help: 'GraphQL requests of this process executing now.',
    collect() {
      this.set(desk.activity.active(null).length);
    },
  });
  metrics.gauge({
    name: 'shelfops_slow_statements',
    help: 'Statements of this process since start that took at least SLOW_QUERY_MS.',
    collect() {
      this.set(desk.slowLog.total);
    },
  });
  const databaseGauge = (name: string, help: string, value: (r: DatabaseReport) => number) =>
    metrics.gauge({
      name,
      help,
      async collect() {
        const report = await figures();
        if (report) this.set(value(report));
      },
    });
  databaseGauge(
    'shelfops_database_active_statements',
    'Statements running in the database now (every client, pg_stat_activity).',
    (r) => r.active.length,
  );
  databaseGauge(
    'shelfops_database_unused_indexes',
    'Indexes never scanned since the statistics began (unique ones not counted).',
    (r) => r.unusedIndexes.length,
  );
  databaseGauge(
    'shelfops_rollup_stale_ranges',
    'Time ranges writes made stale that the rollups have not been refreshed for yet.',
    (r) => r.rollupLag.staleRanges,
  );
  metrics.gauge({
    name: 'shelfops_database_relation_bytes',
    help: 'Size of tables, hypertables, rollups and archive, by kind.',
    labelNames: ['kind'],
    async collect() {
      const report = await figures();
      if (!report) return;
      this.reset();
      for (const size of report.sizes) this.inc({ kind: size.kind }, size.bytes);
    },
  });
  metrics.gauge({
    name: 'shelfops_database_compression_ratio',
    help: 'Bytes before compression over bytes after, by hypertable with compressed chunks.',
    labelNames: ['relation'],
    async collect() {
      const report = await figures();
      if (!report) return;
      this.reset();
      for (const size of report.sizes) {
        if (size.compressionRatio !== null)
          this.set({ relation: size.name }, size.compressionRatio);
      }
    },
  });
}
