/* dailySales */
    SELECT to_char(d.bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "day", d.store_id AS "storeId",
           d.product_id AS "productId", d.units::text AS "units", d.revenue::text AS "revenue",
           d.returned_units::text AS "returnedUnits", round(d.returned_revenue, 2)::text AS "returnedRevenue"
    FROM (SELECT x.store_id, x.product_id,
             date_trunc('day', x.time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
             sum(x.quantity)::bigint AS units, sum(x.revenue) AS revenue,
             coalesce(sum(-x.quantity) FILTER (WHERE x.quantity < 0), 0)::bigint AS returned_units,
             coalesce(sum(-x.revenue) FILTER (WHERE x.quantity < 0), 0) AS returned_revenue
      FROM sale_lines x
      WHERE x.time >= $1::timestamptz AND x.time < $2::timestamptz
      GROUP BY 1, 2, 3) d
    ORDER BY d.bucket, d.store_id, d.product_id
    LIMIT $3
-- parameters: ["2026-05-01T00:00:00.000Z","2026-05-08T00:00:00.000Z",51]
