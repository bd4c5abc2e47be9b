import type { Pool } from '../../src/db/pool.js';

/**
 * Loads `perStoreHour` sale lines per store and hour for `days` days before `end` with one
 * INSERT … SELECT generate_series per day (so each statement stays small), products drawn
 * pseudo-randomly from the tenant's catalog. Returns the number of rows inserted.
 */
export async function loadBulkSales(
  owner: Pool,
  options: {
    customerId: string;
    storeIds: readonly string[];
    productIds: readonly string[];
    end: Date;
    days: number;
    perStoreHour: number;
    daysPerStatement?: number;
  },
): Promise<number> {
  const step = options.daysPerStatement ?? 30;
  let total = 0;
  for (let d = options.days; d > 0; d -= step) {
    const from = new Date(options.end.getTime() - d * 86_400_000);
    const to = new Date(from.getTime() + Math.min(step, d) * 86_400_000);
    const result = await owner.query(
      `INSERT INTO transactions (customer_id, transaction_id, time, store_id, product_id, quantity, unit_price, revenue)
       SELECT $1::uuid, gen_random_uuid(), h + (random() * interval '3599 seconds'),
              s.id, p.ids[1 + floor(random() * cardinality(p.ids))::int],
              q, pr, q * pr
       FROM generate_series($4::timestamptz, $5::timestamptz - interval '1 hour', interval '1 hour') h
       CROSS JOIN unnest($2::uuid[]) AS s(id)
       CROSS JOIN generate_series(1, $6::int) n
       CROSS JOIN (SELECT $3::uuid[] AS ids) p
       CROSS JOIN LATERAL (SELECT 1 + floor(random() * 5)::int + (n * 0) AS q,
                                  round((0.5 + random() * 20)::numeric, 2) AS pr) v`,
      [
        options.customerId,
        options.storeIds,
        options.productIds,
        from.toISOString(),
        to.toISOString(),
        options.perStoreHour,
      ],
    );
    total += result.rowCount ?? 0;
  }
  return total;
}
