import sql from 'sql-template-tag';
import {
  DEFAULT_CALENDAR,
  type RetailCalendarKind,
  type TenantCalendar,
  type WeekStart,
} from '../analytics/calendar.js';
import { withDeadline, type Pool } from '../db/pool.js';
import type { RequestDb } from '../db/request-db.js';

/** A tenant as operators manage it. */
export interface TenantRow {
  id: string;
  name: string;
  status: 'active' | 'disabled';
  /** Its retention horizon; null until the retention run gives it the RETENTION default. */
  retention: string | null;
  createdAt: Date;
}

const columns = sql`c.id AS "id", c.name AS "name", c.status AS "status",
  c.retention AS "retention", c.created_at AS "createdAt"`;

/** Creates a tenant with a new id, keeping sale lines for `retention`. */
export async function createTenant(
  pool: Pool,
  name: string,
  retention: string,
): Promise<TenantRow> {
  const q = sql`/* createTenant */
    INSERT INTO customers AS c (id, name, retention) VALUES (gen_random_uuid(), ${name}, ${retention})
    RETURNING ${columns}`;
  const { rows } = await pool.query<TenantRow>(q.text, q.values);
  const [row] = rows;
  if (!row) throw new Error('creating the tenant returned no row');
  return row;
}

/** Every tenant, oldest first. */
export async function listTenants(pool: Pool): Promise<TenantRow[]> {
  const q = sql`/* listTenants */ SELECT ${columns} FROM customers c ORDER BY c.created_at, c.id`;
  return (await pool.query<TenantRow>(q.text, q.values)).rows;
}

/** Tenant `id`, or null when it does not exist. */
export async function findTenant(pool: Pool, id: string): Promise<TenantRow | null> {
  const q = sql`/* findTenant */ SELECT ${columns} FROM customers c WHERE c.id = ${id}::uuid`;
  return (await pool.query<TenantRow>(q.text, q.values)).rows[0] ?? null;
}

/** Changes a tenant's name or status; null when there is no such tenant. */
export async function updateTenant(
  pool: Pool,
  id: string,
  change: { name?: string; status?: TenantRow['status'] },
): Promise<TenantRow | null> {
  const q = sql`/* updateTenant */
    UPDATE customers AS c
    SET name = coalesce(${change.name ?? null}::text, c.name),
        status = coalesce(${change.status ?? null}::text, c.status)
    WHERE c.id = ${id}::uuid
    RETURNING ${columns}`;
  return (await pool.query<TenantRow>(q.text, q.values)).rows[0] ?? null;
}

/**
 * The status of tenant `id`, or null when it does not exist; with `deadlineMs`, the driver
 * gives up on a server that does not answer within it.
 */
export async function tenantStatus(
  pool: Pool,
  id: string,
  deadlineMs?: number,
): Promise<TenantRow['status'] | null> {
  const q = sql`/* tenantStatus */ SELECT c.status AS "status" FROM customers c WHERE c.id = ${id}::uuid`;
  const { rows } = await pool.query<{ status: TenantRow['status'] }>(
    withDeadline(q.text, q.values, deadlineMs),
  );
  return rows[0]?.status ?? null;
}

/** What a change of horizon did, or would do. */
export interface RetentionChange {
  retention: string;
  /** Sale lines of the tenant older than the new horizon: the next retention run deletes them. */
  linesOlder: number;
  /** False when lines would be deleted and the change was not confirmed: nothing changed. */
  changed: boolean;
}

/**
 * Sets the horizon of the request's tenant (an unscoped admin's request: the row-level
 * policy allows nothing else). A horizon under which stored lines would be deleted is set only
 * when `confirmed`; either way the answer says how many lines that is.
 */
export async function setTenantRetention(
  db: RequestDb,
  retention: string,
  confirmed: boolean,
): Promise<RetentionChange> {
  const counted = await db.query<{ lines: string }>(sql`/* linesOlderThanRetention */
    SELECT count(*)::text AS "lines" FROM sale_lines s
    WHERE s.customer_id = ${db.customerId}::uuid AND s.time < now() - ${retention}::interval`);
  const linesOlder = Number(counted[0]?.lines ?? 0);
  if (linesOlder > 0 && !confirmed) return { retention, linesOlder, changed: false };
  const updated = await db.query<{ retention: string }>(sql`/* setTenantRetention */
    UPDATE customers c SET retention = ${retention} RETURNING c.retention AS "retention"`);
  if (updated.length === 0) throw new Error('the tenant’s retention was not changed');
  return { retention, linesOlder, changed: true };
}

/** The calendar columns of customers row `c`, as CalendarRow names them. */
export const calendarColumns = sql`c.week_start AS "weekStart", c.retail_calendar AS "retailCalendar",
  c.fiscal_year_end AS "fiscalYearEnd", c.time_zone AS "timeZone"`;

/** A tenant's calendar columns. */
export interface CalendarRow {
  weekStart: WeekStart;
  retailCalendar: RetailCalendarKind | null;
  fiscalYearEnd: number | null;
  timeZone: string;
}

/**
 * A tenant's calendars with its reporting zone: the zone its dashboards show its days in
 * (UTC unless set). Questions still name their own zone; this is the one to name for the
 * tenant's own days.
 */
export interface ReportingCalendar extends TenantCalendar {
  timeZone: string;
}

/** The reporting zone of a tenant that set none. */
export const DEFAULT_TIME_ZONE = 'UTC';

/** The calendars a row holds (the default for none). */
export const calendarOf = (row: CalendarRow | undefined): ReportingCalendar =>
  row
    ? {
        weekStart: row.weekStart,
        retail:
          row.retailCalendar && row.fiscalYearEnd
            ? { kind: row.retailCalendar, fiscalYearEnd: row.fiscalYearEnd }
            : null,
        timeZone: row.timeZone,
      }
    : { ...DEFAULT_CALENDAR, timeZone: DEFAULT_TIME_ZONE };

/** The calendars of the request's tenant (read under its row-level security). */
export async function tenantCalendar(db: RequestDb): Promise<ReportingCalendar> {
  const rows = await db.query<CalendarRow>(sql`/* tenantCalendar */
    SELECT ${calendarColumns} FROM customers c`);
  return calendarOf(rows[0]);
}

/**
 * What a change of calendars sets: the week start, the retail calendar (null: none) with the
 * month its fiscal year ends in, and the reporting zone (an IANA name, checked by the caller);
 * an absent key keeps what the tenant has.
 */
export interface CalendarChange {
  weekStart?: WeekStart;
  retail?: TenantCalendar['retail'];
  timeZone?: string;
}

/**
 * Changes the calendars of the request's tenant (an unscoped admin's request: the row policy
 * allows nothing else) and returns them.
 */
export async function setTenantCalendar(
  db: RequestDb,
  change: CalendarChange,
): Promise<ReportingCalendar> {
  const retail = change.retail !== undefined;
  const rows = await db.query<CalendarRow>(sql`/* setTenantCalendar */
    UPDATE customers c
    SET week_start = coalesce(${change.weekStart ?? null}::text, c.week_start),
        time_zone = coalesce(${change.timeZone ?? null}::text, c.time_zone),
        retail_calendar = CASE WHEN ${retail} THEN ${change.retail?.kind ?? null}::text ELSE c.retail_calendar END,
        fiscal_year_end = CASE WHEN ${retail} THEN ${change.retail?.fiscalYearEnd ?? null}::smallint ELSE c.fiscal_year_end END
    RETURNING ${calendarColumns}`);
  if (rows.length === 0) throw new Error('the tenant’s calendars were not changed');
  return calendarOf(rows[0]);
}
