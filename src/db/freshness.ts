import { randomUUID } from 'node:crypto';
import sql, { empty } from 'sql-template-tag';
import type { Backend } from './migrate.js';
import type { Pool, Queryable } from './pool.js';
import type { RequestDb } from './request-db.js';
import { refreshSalesRollups } from './rollups.js';

const DAY = 24 * 3_600_000;
// Entries drained per round; the ledger rarely holds more than a few per tenant.
const DRAIN_BATCH = 500;

interface StaleRange {
  id: string;
  from: Date;
  to: Date;
}

/** Only the entries of one tenant: all of them, or those whose range lies within `[from, to)`. */
interface DrainScope {
  customerId: string;
  within?: { from: Date; to: Date };
}

/**
 * Merges ranges that overlap or lie within a day of each other: the daily rollup refreshes
 * whole days anyway, and one refresh of a span is cheaper than several of its pieces.
 */
function mergeRanges(ranges: readonly StaleRange[]): Array<{ from: Date; to: Date }> {
  const merged: Array<{ from: Date; to: Date }> = [];
  for (const range of [...ranges].sort((a, b) => a.from.getTime() - b.from.getTime())) {
    const last = merged.at(-1);
    if (last && range.from.getTime() <= last.to.getTime() + DAY) {
      if (range.to > last.to) last.to = range.to;
    } else {
      merged.push({ from: range.from, to: range.to });
    }
  }
  return merged;
}

async function staleRanges(pool: Queryable, scope: DrainScope | null): Promise<StaleRange[]> {
  const { rows } = await pool.query<StaleRange>(sql`/* staleRanges */
    SELECT id::text AS "id", range_start AS "from", range_end AS "to"
    FROM stale_rollup_ranges
    WHERE true
      ${scope ? sql`AND customer_id = ${scope.customerId}` : empty}
      ${scope?.within ? sql`AND range_start >= ${scope.within.from} AND range_end <= ${scope.within.to}` : empty}
    ORDER BY recorded_at LIMIT ${DRAIN_BATCH}`);
  return rows;
}

/**
 * Refreshes the sales rollups for the ranges the ledger lists (every tenant's, or those of one
 * write) and then removes exactly the entries it read: their writes had committed before the
 * refresh began, so it saw them; an entry added meanwhile stays for the next drain. A refresh
 * that fails leaves every entry in place. Runs as the owner, outside any transaction. Returns
 * how many entries it removed.
 */
export async function refreshStaleRollups(
  pool: Queryable,
  backend: Backend,
  scope: DrainScope | null = null,
): Promise<number> {
  let removed = 0;
  for (;;) {
    const ranges = await staleRanges(pool, scope);
    if (ranges.length === 0) return removed;
    for (const span of mergeRanges(ranges)) {
      await refreshSalesRollups(pool, backend, span.from, span.to);
    }
    await pool.query(sql`/* forgetRefreshedRanges */
      DELETE FROM stale_rollup_ranges WHERE id = ANY(${ranges.map((r) => r.id)}::uuid[])`);
    removed += ranges.length;
    if (ranges.length < DRAIN_BATCH) return removed;
  }
}

/**
 * Tenants whose writes left their sales rollups stale, refreshed before the tenant's next read
 * rather than after each write: a burst of uploads then pays one refresh of the span it
 * touched instead of one per batch. Sound only where this process makes every write and every
 * read of the database (the embedded one): another process's reads would not wait for it.
 */
export class RefreshBeforeRead {
  private readonly pending = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly pool: Queryable,
    private readonly backend: Backend,
  ) {}

  /** Notes that a committed write of the tenant left rollups stale. */
  written(customerId: string): void {
    this.pending.add(customerId);
  }

  /**
   * Returns once the tenant's rollups include every write committed before the call. A refresh
   * already running may have read the ledger before such a write, so it is awaited and the
   * tenant looked at again; concurrent reads share one refresh. A refresh that fails keeps the
   * tenant marked (and the ledger its entries) and rejects.
   */
  async beforeRead(customerId: string): Promise<void> {
    for (;;) {
      const running = this.running.get(customerId);
      if (running) {
        await running;
        continue;
      }
      if (!this.pending.delete(customerId)) return;
      const refresh = refreshStaleRollups(this.pool, this.backend, { customerId })
        .then(() => undefined)
        .catch((error: unknown) => {
          this.pending.add(customerId);
          throw error;
        })
        .finally(() => this.running.delete(customerId));
      this.running.set(customerId, refresh);
    }
  }
}

/** What a resolver may do about rollups: say what its writes made stale. */
export interface RollupFreshness {
  /**
   * Records, in the request's transaction, that the tenant's sales rollups are stale for
   * `[from, to)`, and refreshes them once the transaction commits (or, with `beforeRead`,
   * before the tenant's next read).
   */
  markSalesStale(from: Date, to: Date): Promise<void>;
}

export interface FreshnessOptions {
  /** The owner pool the refresh runs on (never handed to resolvers). */
  pool: Pool;
  backend: Backend;
  customerId: string;
  /** Where set, the refresh waits for the tenant's next read instead of following the commit. */
  beforeRead: RefreshBeforeRead | null;
  /** Told about a refresh that failed after commit; the ledger keeps its entry for a retry. */
  onRefreshFailed(error: unknown): void;
}

/**
 * The rollup capability of one request. A refresh that fails after the commit never turns the
 * committed write into an error: the entry stays, and the next write of the range, the
 * maintenance loop or the next start refreshes it.
 */
export function rollupFreshness(db: RequestDb, options: FreshnessOptions): RollupFreshness {
  return {
    async markSalesStale(from, to) {
      // Plain PostgreSQL's rollups are kept by triggers in the writing transaction: nothing is
      // ever stale, and the ledger entry, its read and its removal would be three statements
      // of every write for nothing.
      if (options.backend !== 'timescale') return;
      await db.query(sql`/* markSalesStale */
        INSERT INTO stale_rollup_ranges (customer_id, id, range_start, range_end)
        VALUES (app.current_customer_id(), ${randomUUID()}, ${from}, ${to})`);
      const { beforeRead } = options;
      if (beforeRead) {
        db.onCommit(async () => beforeRead.written(options.customerId));
        return;
      }
      db.onCommit(async () => {
        const scope = { customerId: options.customerId, within: { from, to } };
        await refreshStaleRollups(options.pool, options.backend, scope).catch(
          options.onRefreshFailed,
        );
      });
    },
  };
}
