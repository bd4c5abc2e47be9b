/* dailySales */
    SELECT to_char(d.bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "day", d.store_id AS "storeId",
           d.product_id AS "productId", d.units::text AS "units", d.revenue::text AS "revenue"
    FROM (SELECT x.store_id, x.product_id,
             date_trunc('day', x.time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
             sum(x.quantity)::bigint AS units, sum(x.revenue) AS revenue
      FROM sale_lines x
      WHERE x.time >= $1::timestamptz AND x.time < $2::timestamptz
      GROUP BY 1, 2, 3) d
    ORDER BY d.bucket, d.store_id, d.product_id
    LIMIT $3
-- parameters: ["2026-05-01T00:00:00.000Z","2026-05-08T00:00:00.000Z",51]
