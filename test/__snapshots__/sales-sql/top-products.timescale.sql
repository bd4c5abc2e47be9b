/* topProducts */
    WITH parts AS (
      SELECT x.customer_id, x.store_id, x.product_id, x.time AS t,
             x.quantity::bigint AS units,
             x.revenue AS revenue,
             1::bigint AS transactions,
             greatest(-x.quantity, 0)::bigint AS returned_units,
             CASE WHEN x.quantity < 0 THEN -x.revenue ELSE 0 END AS returned_revenue
      FROM sale_lines x
      WHERE x.time >= $1::timestamptz AND x.time < $2::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id, r.product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue
      FROM sales_hourly r
      WHERE r.bucket >= $3::timestamptz AND r.bucket < $4::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id, r.product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue
      FROM sales_hourly_archived r
      WHERE r.bucket >= $5::timestamptz AND r.bucket < $6::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id, r.product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue
      FROM sales_daily r
      WHERE r.bucket >= $7::timestamptz AND r.bucket < $8::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id, r.product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue
      FROM sales_daily_archived r
      WHERE r.bucket >= $9::timestamptz AND r.bucket < $10::timestamptz
    ), agg AS (
      SELECT p.product_id, sum(p.units)::bigint AS units,
             sum(p.revenue)::numeric AS revenue,
             sum(p.transactions)::bigint AS transactions,
             sum(p.returned_units)::bigint AS returned_units,
             sum(p.returned_revenue)::numeric AS returned_revenue
      FROM parts p
      GROUP BY p.product_id
    )
    SELECT a.product_id AS "productId", (a.units)::text AS "units",
           (a.revenue)::text AS "revenue",
           (a.transactions)::integer AS "transactions",
           (a.returned_units)::text AS "returnedUnits",
           round(a.returned_revenue, 2)::text AS "returnedRevenue"
    FROM agg a
    ORDER BY a.revenue DESC, a.product_id
    LIMIT $11
-- parameters: ["2026-05-01T05:30:00.000Z","2026-05-01T06:00:00.000Z","2026-05-01T06:00:00.000Z","2026-05-02T00:00:00.000Z","2026-05-01T06:00:00.000Z","2026-05-02T00:00:00.000Z","2026-05-02T00:00:00.000Z","2026-05-15T00:00:00.000Z","2026-05-02T00:00:00.000Z","2026-05-15T00:00:00.000Z",10]
