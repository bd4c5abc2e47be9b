import sql from 'sql-template-tag';
import { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import type { Backend } from '../db/migrate.js';
import type { RequestDb } from '../db/request-db.js';
import {
  calendarColumns,
  calendarOf,
  type CalendarRow,
  type ReportingCalendar,
} from '../tenants/tenant-store.js';

/** How complete the tenant's analytics are. */
export interface DataFreshness {
  /** The newest sale line the caller's tenant (and store scope) has committed; null: none. */
  asOf: Date | null;
  /**
   * TimescaleDB: every committed line before this instant is in the materialized rollups
   * (the earliest range a write left stale, else asOf). Null on plain PostgreSQL, whose
   * rollups are kept in each write's own transaction.
   */
  rollupsMaterializedThrough: Date | null;
  /** Ranges written but not yet refreshed into the rollups (TimescaleDB; 0 elsewhere). */
  pendingRollupRanges: number;
}

/**
 * What one request reads of its tenant beside its answers: freshness, calendars and zone, and
 * its own retention horizon (null while it has none: RETENTION holds).
 */
export interface RequestFacts {
  freshness: DataFreshness;
  calendar: ReportingCalendar;
  retention: string | null;
}

/**
 * The freshness, calendars and retention of the request's tenant, in one statement: the newest line from
 * the (customer_id, time) index, what the rollup freshness ledger (stale_rollup_ranges) still
 * lists as written and not yet refreshed, and the tenant's row. Only the project's own tables:
 * TimescaleDB's materialization watermark is in its internal catalog, which changes between
 * releases.
 */
export async function readRequestFacts(db: RequestDb, backend: Backend): Promise<RequestFacts> {
  // On Citus the statement runs on the tenant's shard, where a function may not start a
  // distributed query of its own: the newest line is read there, from the colocated lines.
  const newest =
    backend === 'citus'
      ? sql`(SELECT max(x.time) FROM sale_lines x WHERE x.customer_id = ${db.customerId}::uuid)`
      : sql`app.newest_sale_line()`;
  // Where the archive begins, for statements routed by it (db.noteArchiveHorizon); '-infinity'
  // (nothing archived) reads as null. Citus reads no one snapshot, so it is not read there.
  const horizon =
    backend === 'citus'
      ? sql`NULL::timestamptz`
      : sql`(SELECT nullif(h.boundary, '-infinity') FROM archive_horizons h
             WHERE h.relation = 'transactions')`;
  const [row] = await db.query<
    CalendarRow & {
      asOf: Date | null;
      staleFrom: Date | null;
      pending: number;
      retention: string | null;
      archivedBefore: Date | null;
    }
  >(
    sql`/* requestFacts */
    SELECT ${newest} AS "asOf",
           (SELECT min(r.range_start) FROM stale_rollup_ranges r
            WHERE r.customer_id = ${db.customerId}::uuid) AS "staleFrom",
           (SELECT count(*)::integer FROM stale_rollup_ranges r
            WHERE r.customer_id = ${db.customerId}::uuid) AS "pending",
           ${calendarColumns}, c.retention AS "retention", ${horizon} AS "archivedBefore"
    FROM (SELECT) one LEFT JOIN customers c ON true`,
    // Once per request, whatever it asks: not part of any answer's own statements.
    { side: true },
  );
  if (backend !== 'citus') db.noteArchiveHorizon({ before: row?.archivedBefore ?? null });
  const calendar = calendarOf(row?.weekStart ? row : undefined);
  const asOf = row?.asOf ?? null;
  const retention = row?.retention ?? null;
  if (backend !== 'timescale') {
    return {
      calendar,
      retention,
      freshness: { asOf, rollupsMaterializedThrough: null, pendingRollupRanges: 0 },
    };
  }
  const staleFrom = row?.staleFrom ?? null;
  const through = staleFrom && (!asOf || staleFrom < asOf) ? staleFrom : asOf;
  return {
    calendar,
    retention,
    freshness: {
      asOf,
      rollupsMaterializedThrough: through,
      pendingRollupRanges: row?.pending ?? 0,
    },
  };
}

const FACTS_KEY = Symbol('requestFacts');

/** The request's freshness and calendars, read once per request. */
export function requestFacts(ctx: GraphQLContext): Promise<RequestFacts> {
  return ctx.loaders.get(FACTS_KEY, () => readRequestFacts(ctx.db, ctx.backend));
}

/**
 * The tenant's retention horizon (e.g. "2 years"), from the request's facts; RETENTION while
 * the tenant has none of its own.
 */
export async function tenantRetention(ctx: GraphQLContext): Promise<string> {
  return (await requestFacts(ctx)).retention ?? ctx.retention;
}

/**
 * The request's freshness, told in `extensions.freshness` of the answer. Awaited before an
 * analytics statement runs, so that the answer holds every line the freshness counts (a
 * statement sees every commit made before it starts). It is told among the extensions that
 * stay true for the tenant's data version, which a cached answer keeps: a committed write
 * moves the version, so a hit never says less or more than its data.
 */
export async function tellFreshness(ctx: GraphQLContext): Promise<DataFreshness> {
  const { freshness } = await requestFacts(ctx);
  ctx.versionedExtensions.freshness = freshness;
  return freshness;
}

const DataFreshnessRef = builder.objectRef<DataFreshness>('DataFreshness').implement({
  description:
    'How complete the analytics are: every analytics answer carries the same in extensions.freshness.',
  fields: (t) => ({
    asOf: t.field({
      type: 'DateTime',
      nullable: true,
      description:
        'The newest committed sale line the caller can see (a dashboard’s "as of"); null when there is none.',
      resolve: (f) => f.asOf,
    }),
    rollupsMaterializedThrough: t.field({
      type: 'DateTime',
      nullable: true,
      description:
        'TimescaleDB: every committed line before this instant is in the materialized rollups (lines after it are read from the raw lines, so answers stay exact). Null on plain PostgreSQL, whose rollups are kept by each write’s own transaction.',
      resolve: (f) => f.rollupsMaterializedThrough,
    }),
    pendingRollupRanges: t.exposeInt('pendingRollupRanges', {
      description:
        'Time ranges written and not yet refreshed into the rollups (TimescaleDB; always 0 on plain PostgreSQL).',
    }),
  }),
});

builder.queryField('dataFreshness', (t) =>
  t.field({
    type: DataFreshnessRef,
    description: 'How complete the tenant’s analytics are, as extensions.freshness tells.',
    resolve: (_root, _args, ctx) => tellFreshness(ctx),
  }),
);
