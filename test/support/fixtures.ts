import type { Pool } from '../../src/db/pool.js';

export interface StoreFixture {
  id: string;
  code: string;
  name: string;
  region?: string;
  timeZone?: string;
}

export interface ProductFixture {
  id: string;
  sku: string;
  name: string;
  category: string;
  unitPrice: string;
}

export interface TenantFixture {
  customerId: string;
  name: string;
  stores: StoreFixture[];
  products: ProductFixture[];
}

/** Makes a deterministic UUID from small numbers, so ids read well in tests. */
export function uuid(group: number, n: number): string {
  return `${group.toString(16).padStart(8, '0')}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** Inserts a tenant with its stores and products through the owner connection. */
export async function insertTenant(owner: Pool, tenant: TenantFixture): Promise<void> {
  await owner.query('INSERT INTO customers (id, name) VALUES ($1, $2)', [
    tenant.customerId,
    tenant.name,
  ]);
  for (const s of tenant.stores) {
    await owner.query(
      'INSERT INTO stores (customer_id, id, code, name, region, time_zone) VALUES ($1, $2, $3, $4, $5, $6)',
      [tenant.customerId, s.id, s.code, s.name, s.region ?? 'North', s.timeZone ?? 'UTC'],
    );
  }
  for (const p of tenant.products) {
    await owner.query(
      'INSERT INTO products (customer_id, id, sku, name, category, unit_price) VALUES ($1, $2, $3, $4, $5, $6)',
      [tenant.customerId, p.id, p.sku, p.name, p.category, p.unitPrice],
    );
  }
}

/**
 * Two tenants whose stores and products share ids, codes and names: only the tenant tells
 * them apart, which is what the isolation tests need.
 */
export function twinTenants(): [TenantFixture, TenantFixture] {
  const make = (group: number, name: string): TenantFixture => ({
    customerId: uuid(group, 0),
    name,
    stores: [1, 2, 3].map((n) => ({
      id: uuid(1, n),
      code: `S${n}`,
      name: `Store ${n}`,
      region: n === 3 ? 'South' : 'North',
    })),
    products: [1, 2, 3, 4].map((n) => ({
      id: uuid(2, n),
      sku: `SKU-${n}`,
      name: `Product ${n}`,
      category: n <= 2 ? 'Dairy' : 'Bakery',
      unitPrice: `${n}.25`,
    })),
  });
  return [make(0xa, 'Tenant A'), make(0xb, 'Tenant B')];
}
