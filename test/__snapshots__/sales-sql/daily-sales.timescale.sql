/* dailySales */
    SELECT to_char(d.bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "day", d.store_id AS "storeId",
           d.product_id AS "productId", (d.units)::text AS "units",
           (d.revenue)::text AS "revenue",
           (d.transactions)::integer AS "transactions",
           (d.returned_units)::text AS "returnedUnits",
           round(d.returned_revenue, 2)::text AS "returnedRevenue"
    FROM (SELECT r.store_id, r.product_id, r.bucket,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue
      FROM sales_daily r
      WHERE r.bucket >= $1::timestamptz AND r.bucket < $2::timestamptz
      UNION ALL
      SELECT r.store_id, r.product_id, r.bucket,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue
      FROM sales_daily_archived r
      WHERE r.bucket >= $3::timestamptz AND r.bucket < $4::timestamptz
      ) d
    ORDER BY d.bucket, d.store_id, d.product_id
    LIMIT $5
-- parameters: ["2026-05-01T00:00:00.000Z","2026-05-08T00:00:00.000Z","2026-05-01T00:00:00.000Z","2026-05-08T00:00:00.000Z",51]
