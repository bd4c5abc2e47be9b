/* salesVelocity */
    WITH days AS MATERIALIZED (SELECT x.store_id, x.product_id,
             date_trunc('day', x.time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
             sum(x.quantity)::bigint AS units, sum(x.revenue) AS revenue,
             coalesce(sum(-x.quantity) FILTER (WHERE x.quantity < 0), 0)::bigint AS returned_units,
             coalesce(sum(-x.revenue) FILTER (WHERE x.quantity < 0), 0) AS returned_revenue
      FROM sale_lines x
      WHERE x.time >= $1::timestamptz AND x.time < $2::timestamptz
      GROUP BY 1, 2, 3),
    pairs AS (
      SELECT d.store_id, d.product_id FROM days d
      UNION
      SELECT i.store_id, i.product_id FROM inventory_snapshots i
      WHERE i.time >= $3::timestamptz AND i.time < $4::timestamptz
    ), page AS (
      SELECT k.store_id, k.product_id FROM pairs k
      ORDER BY k.store_id, k.product_id
      LIMIT $5
    )
    SELECT k.store_id AS "storeId", k.product_id AS "productId",
           coalesce(sum(d.units), 0)::float8 / $6::integer AS "unitsPerDay",
           round(coalesce(sum(d.revenue), 0) / $7::integer, 2)::text AS "revenuePerDay"
    FROM page k
    LEFT JOIN days d ON d.store_id = k.store_id AND d.product_id = k.product_id
    GROUP BY k.store_id, k.product_id
    ORDER BY k.store_id, k.product_id
-- parameters: ["2026-05-14T00:00:00.000Z","2026-05-21T00:00:00.000Z","2026-05-14T00:00:00.000Z","2026-05-21T00:00:00.000Z",51,7,7]
