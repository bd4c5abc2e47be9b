import sql from 'sql-template-tag';
import { withDeadline, type Pool } from '../db/pool.js';

/** A tenant as operators manage it. */
export interface TenantRow {
  id: string;
  name: string;
  status: 'active' | 'disabled';
  createdAt: Date;
}

const columns = sql`c.id AS "id", c.name AS "name", c.status AS "status", c.created_at AS "createdAt"`;

/** Creates a tenant with a new id. */
export async function createTenant(pool: Pool, name: string): Promise<TenantRow> {
  const q = sql`/* createTenant */
    INSERT INTO customers AS c (id, name) VALUES (gen_random_uuid(), ${name}) RETURNING ${columns}`;
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
