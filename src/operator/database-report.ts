import type { Backend } from '../db/migrate.js';
import { inTransaction, type Queryable } from '../db/pool.js';
import { parseStatementTag } from '../db/statement-tag.js';

/** The database role the operator's statements run as (migration 0021). */
export const OPERATOR_DATABASE_ROLE = 'shelfops_operator';

// Statistics younger than this may not have seen a monthly or seasonal query yet.
const SEASON_DAYS = 31;

/** A statement running now, with the operation and tenant its connection's tag names. */
export interface ActiveStatement {
  pid: number;
  applicationName: string;
  customerId: string | null;
  operation: string | null;
  state: string;
  wait: string | null;
  durationMs: number;
  query: string;
}

/** An index no scan has used since the statistics began. */
export interface UnusedIndex {
  index: string;
  table: string;
  bytes: number;
  /** The statistics are younger than a season: a rare query may still need the index. */
  seasonal: boolean;
}

/** A relation's size: a table, hypertable (chunks and compression), rollup or archive. */
export interface RelationSize {
  name: string;
  kind: 'table' | 'hypertable' | 'rollup' | 'archive';
  bytes: number;
  chunks: number | null;
  compressedChunks: number | null;
  /** Bytes before compression ÷ bytes after, over the compressed chunks; null when none. */
  compressionRatio: number | null;
}

/** What the database says about itself, read as the operator role. */
export interface DatabaseReport {
  backend: Backend;
  timescaledb: string | null;
  statsSince: string;
  statsCoverDays: number;
  active: ActiveStatement[];
  /** The statements with the most total time, where pg_stat_statements is loaded; else null. */
  statements:
    { calls: number; totalMs: number; meanMs: number; maxMs: number; query: string }[] | null;
  unusedIndexes: UnusedIndex[];
  sizes: RelationSize[];
  rollupLag: {
    staleRanges: number;
    oldestStaleAt: string | null;
    newestLineAt: string | null;
    lastRefreshAt: string | null;
    lastRefreshError: string | null;
  };
  tenants: {
    customerId: string;
    name: string;
    lines: number;
    /** The tenant's share of the sale-line relations' bytes, by its share of their lines. */
    bytes: number;
    lines7d: number;
    lines30d: number;
    retention: string | null;
  }[];
}

type Rows<R> = Promise<{ rows: R[] }>;

/**
 * Runs `work` as the operator role (statistics rights only, no tenant row) in a transaction
 * of its own that is rolled back.
 */
export async function asOperator<T>(
  db: Queryable,
  work: (client: Queryable) => Promise<T>,
  statementTimeoutMs = 10_000,
): Promise<T> {
  let result: T | undefined;
  await inTransaction(db, async (client) => {
    await client.query(
      `/* operatorContext */ SELECT set_config('role', $1, true), set_config('statement_timeout', $2, true),
              set_config('search_path', 'public', true)`,
      [OPERATOR_DATABASE_ROLE, String(statementTimeoutMs)],
    );
    result = await work(client);
  });
  return result as T;
}

const num = (value: string | number | null) => (value === null ? 0 : Number(value));
const iso = (value: Date | null) => value?.toISOString() ?? null;

/**
 * Reads the database's half of the operator report (as the operator role); without
 * `withTenants` the per-tenant line counts (a scan of every sale line) are left out.
 */
export async function databaseReport(
  db: Queryable,
  backend: Backend,
  withTenants = true,
): Promise<DatabaseReport> {
  return asOperator(db, async (client) => {
    const query = <R>(text: string): Rows<R> => client.query(text) as unknown as Rows<R>;
    const {
      rows: [about],
    } = await query<{ timescaledb: string | null; since: Date; statements: boolean }>(
      `/* operatorAbout */ SELECT
         (SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') AS timescaledb,
         coalesce((SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()),
                  pg_postmaster_start_time()) AS since,
         -- Its view raises an error unless the library is preloaded as well.
         to_regclass('pg_stat_statements') IS NOT NULL
           AND current_setting('shared_preload_libraries') ~ 'pg_stat_statements' AS statements`,
    );
    if (!about) throw new Error('the database did not describe itself');
    const coverDays = (Date.now() - about.since.getTime()) / 86_400_000;
    const timescale = about.timescaledb !== null;
    return {
      backend,
      timescaledb: about.timescaledb,
      statsSince: about.since.toISOString(),
      statsCoverDays: Math.round(coverDays * 10) / 10,
      active: await activeStatements(query),
      statements: about.statements ? await topStatements(query) : null,
      unusedIndexes: (await unusedIndexes(query)).map((i) => ({
        ...i,
        bytes: num(i.bytes),
        seasonal: coverDays < SEASON_DAYS,
      })),
      sizes: timescale ? await timescaleSizes(query) : await plainSizes(query),
      rollupLag: await rollupLag(query),
      tenants: withTenants ? await tenants(query, timescale) : [],
    };
  });
}

async function activeStatements(query: <R>(text: string) => Rows<R>): Promise<ActiveStatement[]> {
  const { rows } = await query<Omit<ActiveStatement, 'customerId' | 'operation'>>(
    `/* activeStatements */ SELECT pid, application_name AS "applicationName", state,
            wait_event_type || ':' || wait_event AS wait,
            round(extract(epoch FROM clock_timestamp() - query_start) * 1000)::int AS "durationMs",
            left(query, 500) AS query
     FROM pg_stat_activity
     WHERE datname = current_database() AND backend_type = 'client backend'
       AND pid <> pg_backend_pid() AND state <> 'idle'
     ORDER BY query_start`,
  );
  return rows.map((row) => {
    const tag = parseStatementTag(row.applicationName);
    return { ...row, customerId: tag?.customerId ?? null, operation: tag?.operation ?? null };
  });
}

async function topStatements(query: <R>(text: string) => Rows<R>) {
  const { rows } = await query<{
    calls: string;
    totalMs: number;
    meanMs: number;
    maxMs: number;
    query: string;
  }>(
    `/* topStatements */ SELECT calls, round(total_exec_time::numeric, 1)::float8 AS "totalMs",
            round(mean_exec_time::numeric, 1)::float8 AS "meanMs",
            round(max_exec_time::numeric, 1)::float8 AS "maxMs", left(query, 300) AS query
     FROM pg_stat_statements
     WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
     ORDER BY total_exec_time DESC LIMIT 10`,
  );
  return rows.map((row) => ({ ...row, calls: num(row.calls) }));
}

// A hypertable's index is scanned through its chunks' copies (named <chunk>_<index>), so their
// scans and sizes count for it. Unique indexes enforce a key, scanned or not: never listed.
function unusedIndexes(query: <R>(text: string) => Rows<R>) {
  return query<{ index: string; table: string; bytes: string }>(
    `/* unusedIndexes */ SELECT format('%I.%I', p.schemaname, p.indexrelname) AS index,
            format('%I.%I', p.schemaname, p.relname) AS "table",
            pg_relation_size(p.indexrelid) + coalesce(sum(pg_relation_size(c.indexrelid)), 0) AS bytes
     FROM pg_stat_user_indexes p
     JOIN pg_index i ON i.indexrelid = p.indexrelid
     LEFT JOIN pg_inherits h ON h.inhparent = p.relid
     LEFT JOIN pg_stat_user_indexes c
       ON c.relid = h.inhrelid AND c.indexrelname = left(c.relname || '_' || p.indexrelname, 63)
     WHERE NOT i.indisunique AND p.schemaname NOT LIKE '\\_timescaledb%'
     GROUP BY p.schemaname, p.indexrelname, p.relname, p.indexrelid, p.idx_scan
     HAVING p.idx_scan + coalesce(sum(c.idx_scan), 0) = 0
     ORDER BY 3 DESC, 1`,
  ).then(({ rows }) => rows);
}

function kindOf(name: string, fallback: RelationSize['kind']): RelationSize['kind'] {
  if (name.startsWith('rollup.')) return 'rollup';
  if (name.startsWith('archive.')) return 'archive';
  return fallback;
}

async function plainSizes(query: <R>(text: string) => Rows<R>): Promise<RelationSize[]> {
  const { rows } = await query<{ name: string; bytes: string }>(
    `/* relationSizes */ SELECT format('%I.%I', n.nspname, c.relname) AS name,
            pg_total_relation_size(c.oid) AS bytes
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'm') AND n.nspname IN ('public', 'rollup', 'archive')
     ORDER BY 2 DESC, 1`,
  );
  return rows.map((row) => ({
    name: row.name,
    kind: kindOf(row.name, 'table'),
    bytes: num(row.bytes),
    chunks: null,
    compressedChunks: null,
    compressionRatio: null,
  }));
}

// TimescaleDB's public interface only (its catalog changes between releases): the
// information views, hypertable_size and hypertable_compression_stats (2.23 and 2.28).
async function timescaleSizes(query: <R>(text: string) => Rows<R>): Promise<RelationSize[]> {
  const { rows } = await query<{
    name: string;
    hypertable: boolean;
    bytes: string;
    chunks: string | null;
    compressedChunks: string | null;
    before: string | null;
    after: string | null;
  }>(
    `/* relationSizes */ WITH h AS (
       SELECT format('%I.%I', hypertable_schema, hypertable_name) AS name,
              format('%I.%I', hypertable_schema, hypertable_name)::regclass AS rel,
              num_chunks AS chunks, compression_enabled
       FROM timescaledb_information.hypertables
     )
     SELECT h.name, true AS hypertable, hypertable_size(h.rel) AS bytes, h.chunks,
            cs.number_compressed_chunks AS "compressedChunks",
            cs.before_compression_total_bytes AS before, cs.after_compression_total_bytes AS after
     FROM h LEFT JOIN LATERAL (
       SELECT * FROM hypertable_compression_stats(h.rel) WHERE h.compression_enabled
     ) cs ON true
     UNION ALL
     SELECT format('%I.%I', view_schema, view_name), true,
            hypertable_size(format('%I.%I', materialization_hypertable_schema,
                                   materialization_hypertable_name)::regclass), NULL, NULL, NULL, NULL
     FROM timescaledb_information.continuous_aggregates
     UNION ALL
     SELECT format('%I.%I', n.nspname, c.relname), false, pg_total_relation_size(c.oid),
            NULL, NULL, NULL, NULL
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'm') AND n.nspname IN ('public', 'rollup', 'archive')
       AND NOT EXISTS (SELECT FROM timescaledb_information.hypertables t
                       WHERE t.hypertable_schema = n.nspname AND t.hypertable_name = c.relname)
     ORDER BY 3 DESC, 1`,
  );
  return rows.map((row) => ({
    name: row.name,
    kind: kindOf(row.name, row.hypertable ? 'hypertable' : 'table'),
    bytes: num(row.bytes),
    chunks: row.chunks === null ? null : num(row.chunks),
    compressedChunks: row.compressedChunks === null ? null : num(row.compressedChunks),
    compressionRatio:
      row.before && row.after && num(row.after) > 0
        ? Math.round((num(row.before) / num(row.after)) * 100) / 100
        : null,
  }));
}

async function rollupLag(query: <R>(text: string) => Rows<R>) {
  const { rows } = await query<{
    staleRanges: string;
    oldestStaleAt: Date | null;
    newestLineAt: Date | null;
    lastRefreshAt: Date | null;
    lastRefreshError: string | null;
  }>(
    `/* rollupLag */ SELECT stale_ranges AS "staleRanges", oldest_stale_at AS "oldestStaleAt",
            newest_line_at AS "newestLineAt", last_refresh_at AS "lastRefreshAt",
            last_refresh_error AS "lastRefreshError"
     FROM operator.rollup_lag()`,
  );
  const row = rows[0];
  return {
    staleRanges: num(row?.staleRanges ?? 0),
    oldestStaleAt: iso(row?.oldestStaleAt ?? null),
    newestLineAt: iso(row?.newestLineAt ?? null),
    lastRefreshAt: iso(row?.lastRefreshAt ?? null),
    lastRefreshError: row?.lastRefreshError ?? null,
  };
}

async function tenants(query: <R>(text: string) => Rows<R>, timescale: boolean) {
  const { rows } = await query<{
    customerId: string;
    name: string;
    lines: string;
    lines7d: string;
    lines30d: string;
    retention: string | null;
    lineBytes: string;
  }>(
    `/* tenantUsage */ SELECT customer_id AS "customerId", name, lines, lines_7d AS "lines7d",
            lines_30d AS "lines30d", retention,
            ${
              timescale
                ? `hypertable_size('public.transactions') + coalesce(hypertable_size(to_regclass('archive.transactions')), 0)`
                : `pg_total_relation_size('public.transactions')`
            } AS "lineBytes"
     FROM operator.tenant_usage()`,
  );
  const allLines = rows.reduce((sum, row) => sum + num(row.lines), 0);
  return rows.map(({ lineBytes, ...row }) => ({
    ...row,
    lines: num(row.lines),
    lines7d: num(row.lines7d),
    lines30d: num(row.lines30d),
    bytes: allLines > 0 ? Math.round((num(lineBytes) * num(row.lines)) / allLines) : 0,
  }));
}
