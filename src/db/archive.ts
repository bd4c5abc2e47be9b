import { keepJob, withJobsLock } from './jobs.js';
import type { Queryable } from './pool.js';

/** One table's share of an archive run. */
export interface ArchiveMove {
  relation: string;
  moved: number;
  boundary: Date;
}

/**
 * Moves transactions and inventory snapshots older than `before` (rounded down to a week
 * boundary) into the compressed archive, a week per transaction so that each move stays small
 * (TimescaleDB only; see sql/0004_archive.timescale.up.sql). Returns each table's moved rows
 * and its horizon after the last move; an empty list when nothing was old enough.
 */
export async function archiveRowsBefore(pool: Queryable, before: Date): Promise<ArchiveMove[]> {
  const totals = new Map<string, ArchiveMove>();
  for (;;) {
    const { rows: next } = await pool.query<{ cut: Date | null }>(
      `/* nextArchiveCut */ SELECT archive.next_cut($1) AS cut`,
      [before],
    );
    const cut = next[0]?.cut;
    if (!cut) break;
    const { rows } = await pool.query<{ relation: string; moved: string; boundary: Date }>(
      `/* archiveRows */ SELECT relation, moved::text, boundary FROM archive.move_before($1)`,
      [cut],
    );
    for (const r of rows) {
      const moved = (totals.get(r.relation)?.moved ?? 0) + Number(r.moved);
      totals.set(r.relation, { relation: r.relation, moved, boundary: r.boundary });
    }
  }
  return [...totals.values()];
}

/** Archives the rows older than `age` (a PostgreSQL interval) by the database's clock. */
export async function archiveOlderThan(pool: Queryable, age: string): Promise<ArchiveMove[]> {
  const { rows } = await pool.query<{ before: Date }>(
    `/* archiveCutoff */ SELECT now() - $1::interval AS before`,
    [age],
  );
  const before = rows[0]?.before;
  return before ? archiveRowsBefore(pool, before) : [];
}

/** Compresses the archive's chunks that are not (or no longer fully) compressed; returns how many. */
export async function compressArchive(pool: Queryable): Promise<number> {
  const { rows } = await pool.query<{ chunks: number }>(
    `/* compressArchive */ SELECT archive.compress() AS chunks`,
  );
  return rows[0]?.chunks ?? 0;
}

/**
 * Keeps the TimescaleDB job that archives rows older than `keep` (servers with a job runner;
 * the archive's compression policies come with the migration). `keep` null removes the job.
 */
export async function ensureArchiveJob(pool: Queryable, keep: string | null): Promise<void> {
  await withJobsLock(pool, async (client) => {
    await keepJob(client, 'archive.run_job', '1 hour', keep === null ? null : { keep });
  });
}

/** The archived shares of the time-series tables (TimescaleDB). */
export interface ArchiveStats {
  relation: string;
  chunks: number;
  compressedChunks: number;
  bytesBefore: number;
  bytesAfter: number;
}

/** Compression figures of the archive's hypertables. */
export async function archiveStats(pool: Queryable): Promise<ArchiveStats[]> {
  const { rows } = await pool.query<ArchiveStats>(
    `/* archiveStats */
     SELECT t::text AS relation, coalesce(s.total_chunks, 0)::int AS chunks,
            coalesce(s.number_compressed_chunks, 0)::int AS "compressedChunks",
            coalesce(s.before_compression_total_bytes, 0)::float8 AS "bytesBefore",
            coalesce(s.after_compression_total_bytes, 0)::float8 AS "bytesAfter"
     FROM unnest(ARRAY['archive.transactions', 'archive.inventory_levels', 'archive.sales_hourly',
                       'archive.sales_daily']::regclass[]) t
     LEFT JOIN LATERAL hypertable_columnstore_stats(t) s ON true
     ORDER BY 1`,
  );
  return rows;
}
