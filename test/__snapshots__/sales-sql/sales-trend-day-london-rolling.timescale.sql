/* salesTrend */
    WITH zones AS (
      SELECT NULL::uuid AS store_id, $1::text AS zone
    ), parts AS (
      SELECT r.customer_id, r.store_id, r.product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue
      FROM sales_hourly r
      WHERE r.bucket >= $2::timestamptz AND r.bucket < $3::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id, r.product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue
      FROM sales_hourly_archived r
      WHERE r.bucket >= $4::timestamptz AND r.bucket < $5::timestamptz
      UNION ALL
      SELECT x.customer_id, x.store_id, x.product_id, x.time AS t,
             x.quantity::bigint AS units,
             x.revenue AS revenue,
             1::bigint AS transactions,
             greatest(-x.quantity, 0)::bigint AS returned_units,
             CASE WHEN x.quantity < 0 THEN -x.revenue ELSE 0 END AS returned_revenue
      FROM sale_lines x
      WHERE x.time >= $6::timestamptz AND x.time < $7::timestamptz
      UNION ALL
      SELECT x.customer_id, x.store_id, x.product_id, x.time AS t,
             x.quantity::bigint AS units,
             x.revenue AS revenue,
             1::bigint AS transactions,
             greatest(-x.quantity, 0)::bigint AS returned_units,
             CASE WHEN x.quantity < 0 THEN -x.revenue ELSE 0 END AS returned_revenue
      FROM sale_lines x
      WHERE x.time >= $8::timestamptz AND x.time < $9::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id, r.product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue
      FROM sales_hourly r
      WHERE r.bucket >= $10::timestamptz AND r.bucket < $11::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id, r.product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue
      FROM sales_hourly_archived r
      WHERE r.bucket >= $12::timestamptz AND r.bucket < $13::timestamptz
    ), agg AS (
      SELECT $14::text AS zone, (date_trunc($15::text, p.t AT TIME ZONE $16::text) AT TIME ZONE $17::text) AS bucket,
             p.store_id AS store_id,
             NULL::uuid AS product_id,
             NULL::text AS category,
             sum(p.units)::bigint AS units,
             sum(p.revenue)::numeric AS revenue,
             sum(p.transactions)::bigint AS transactions,
             sum(p.returned_units)::bigint AS returned_units,
             sum(p.returned_revenue)::numeric AS returned_revenue
      FROM parts p
      WHERE p.t >= $18::timestamptz
         OR (date_trunc($19::text, p.t AT TIME ZONE $20::text) AT TIME ZONE $21::text) < (date_trunc($22::text, $23::timestamptz AT TIME ZONE $24::text) AT TIME ZONE $25::text)
      GROUP BY 1, 2, 3, 4, 5
    ), series AS (
      SELECT zz.zone, b.bucket
      FROM (SELECT DISTINCT zone FROM zones) zz
      CROSS JOIN LATERAL (SELECT g AT TIME ZONE zz.zone AS bucket
      FROM generate_series(date_trunc($26::text, $27::timestamptz AT TIME ZONE zz.zone),
                           ($28::timestamptz - interval '1 microsecond') AT TIME ZONE zz.zone,
                           $29::interval) g) b
    ), groups AS (
      SELECT DISTINCT zone, store_id, product_id, category FROM agg x
    ), filled AS (
      SELECT s.zone, s.bucket, g.store_id, g.product_id, g.category, s.bucket >= (date_trunc($30::text, $31::timestamptz AT TIME ZONE s.zone) AT TIME ZONE s.zone) AS in_range,
             a.bucket IS NOT NULL AS present,
             coalesce(a.units, 0) AS units,
             coalesce(a.revenue, 0.00) AS revenue,
             coalesce(a.transactions, 0) AS transactions,
             coalesce(a.returned_units, 0) AS returned_units,
             coalesce(a.returned_revenue, 0) AS returned_revenue
      FROM groups g
      JOIN series s ON s.zone = g.zone
      LEFT JOIN agg a ON a.zone = g.zone AND a.bucket = s.bucket
        AND a.store_id = g.store_id
    ), windowed AS (
      SELECT f.*,
             sum(f.units) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS BETWEEN $32::integer PRECEDING AND CURRENT ROW) AS rolling_units,
             sum(f.revenue) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS BETWEEN $33::integer PRECEDING AND CURRENT ROW) AS rolling_revenue,
             sum(f.transactions) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS BETWEEN $34::integer PRECEDING AND CURRENT ROW) AS rolling_transactions,
             sum(f.returned_units) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS BETWEEN $35::integer PRECEDING AND CURRENT ROW) AS rolling_returned_units,
             sum(f.returned_revenue) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS BETWEEN $36::integer PRECEDING AND CURRENT ROW) AS rolling_returned_revenue,
             sum(f.units) FILTER (WHERE f.in_range) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS UNBOUNDED PRECEDING) AS cumulative_units,
             sum(f.revenue) FILTER (WHERE f.in_range) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS UNBOUNDED PRECEDING) AS cumulative_revenue,
             sum(f.transactions) FILTER (WHERE f.in_range) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS UNBOUNDED PRECEDING) AS cumulative_transactions,
             sum(f.returned_units) FILTER (WHERE f.in_range) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS UNBOUNDED PRECEDING) AS cumulative_returned_units,
             sum(f.returned_revenue) FILTER (WHERE f.in_range) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS UNBOUNDED PRECEDING) AS cumulative_returned_revenue
      FROM filled f
    )
    SELECT f.bucket AS "bucket", f.store_id AS "storeId", f.product_id AS "productId", f.category AS "category",
           (f.units)::text AS "units",
           (f.revenue)::text AS "revenue",
           (f.transactions)::integer AS "transactions",
           (f.returned_units)::text AS "returnedUnits",
           round(f.returned_revenue, 2)::text AS "returnedRevenue",
           (f.rolling_units)::text AS "rolling.sum.units",
           (f.rolling_revenue)::text AS "rolling.sum.revenue",
           (f.rolling_transactions)::integer AS "rolling.sum.transactions",
           (f.rolling_returned_units)::text AS "rolling.sum.returnedUnits",
           round(f.rolling_returned_revenue, 2)::text AS "rolling.sum.returnedRevenue",
           round((f.rolling_units)::numeric / $37::integer, $38)::text AS "rolling.mean.units",
           round((f.rolling_revenue)::numeric / $39::integer, $40)::text AS "rolling.mean.revenue",
           round((f.rolling_transactions)::numeric / $41::integer, $42)::text AS "rolling.mean.transactions",
           round((f.rolling_returned_units)::numeric / $43::integer, $44)::text AS "rolling.mean.returnedUnits",
           round((f.rolling_returned_revenue)::numeric / $45::integer, $46)::text AS "rolling.mean.returnedRevenue",
           (f.cumulative_units)::text AS "cumulative.units",
           (f.cumulative_revenue)::text AS "cumulative.revenue",
           (f.cumulative_transactions)::integer AS "cumulative.transactions",
           (f.cumulative_returned_units)::text AS "cumulative.returnedUnits",
           round(f.cumulative_returned_revenue, 2)::text AS "cumulative.returnedRevenue"
    FROM windowed f
    WHERE f.in_range AND f.present
    ORDER BY f.bucket, f.store_id, f.product_id, f.category
    LIMIT $47
-- parameters: ["Europe/London","2026-04-23T00:00:00.000Z","2026-05-01T05:00:00.000Z","2026-04-23T00:00:00.000Z","2026-05-01T05:00:00.000Z","2026-05-01T05:00:00.000Z","2026-05-01T05:30:00.000Z","2026-05-01T05:30:00.000Z","2026-05-01T06:00:00.000Z","2026-05-01T06:00:00.000Z","2026-05-15T00:00:00.000Z","2026-05-01T06:00:00.000Z","2026-05-15T00:00:00.000Z","Europe/London","day","Europe/London","Europe/London","2026-05-01T05:30:00.000Z","day","Europe/London","Europe/London","day","2026-05-01T05:30:00.000Z","Europe/London","Europe/London","day","2026-04-23T00:00:00.000Z","2026-05-15T00:00:00.000Z","1 day","day","2026-05-01T05:30:00.000Z",6,6,6,6,6,7,6,7,6,7,6,7,6,7,6,10001]
