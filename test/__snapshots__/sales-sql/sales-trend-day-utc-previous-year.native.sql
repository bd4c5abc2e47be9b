/* salesTrend */
    WITH zones AS (
      SELECT NULL::uuid AS store_id, $1::text AS zone
    ), parts AS (
      SELECT x.customer_id, x.store_id, x.product_id, x.time AS t,
             x.quantity::bigint AS units,
             x.revenue AS revenue,
             1::bigint AS transactions,
             greatest(-x.quantity, 0)::bigint AS returned_units,
             CASE WHEN x.quantity < 0 THEN -x.revenue ELSE 0 END AS returned_revenue
      FROM sale_lines x
      WHERE x.time >= $2::timestamptz AND x.time < $3::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id, NULL::uuid AS product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue
      FROM store_sales_hourly r
      WHERE r.bucket >= $4::timestamptz AND r.bucket < $5::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id, NULL::uuid AS product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue
      FROM store_sales_daily r
      WHERE r.bucket >= $6::timestamptz AND r.bucket < $7::timestamptz
    ), agg AS (
      SELECT $8::text AS zone, (date_trunc($9::text, p.t AT TIME ZONE $10::text) AT TIME ZONE $11::text) AS bucket,
             p.store_id AS store_id,
             NULL::uuid AS product_id,
             NULL::text AS category,
             sum(p.units)::bigint AS units,
             sum(p.revenue)::numeric AS revenue,
             sum(p.transactions)::bigint AS transactions,
             sum(p.returned_units)::bigint AS returned_units,
             sum(p.returned_revenue)::numeric AS returned_revenue
      FROM parts p
      GROUP BY 1, 2, 3, 4, 5
    ), cparts AS (
      SELECT x.customer_id, x.store_id, x.product_id, x.time AS t,
             x.quantity::bigint AS units,
             x.revenue AS revenue,
             1::bigint AS transactions,
             greatest(-x.quantity, 0)::bigint AS returned_units,
             CASE WHEN x.quantity < 0 THEN -x.revenue ELSE 0 END AS returned_revenue
      FROM sale_lines x
      WHERE x.time >= $12::timestamptz AND x.time < $13::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id, NULL::uuid AS product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue
      FROM store_sales_hourly r
      WHERE r.bucket >= $14::timestamptz AND r.bucket < $15::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id, NULL::uuid AS product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue
      FROM store_sales_daily r
      WHERE r.bucket >= $16::timestamptz AND r.bucket < $17::timestamptz
    ), cagg AS (
      SELECT $18::text AS zone,
             (date_trunc($19::text, (((p.t) AT TIME ZONE $20::text) + ($21::integer * interval '1 year' + $22::bigint * interval '1 millisecond')) AT TIME ZONE $23::text AT TIME ZONE $24::text) AT TIME ZONE $25::text) AS bucket,
             p.store_id AS store_id,
             NULL::uuid AS product_id,
             NULL::text AS category,
             sum(p.units)::bigint AS units,
             sum(p.revenue)::numeric AS revenue,
             sum(p.transactions)::bigint AS transactions,
             sum(p.returned_units)::bigint AS returned_units,
             sum(p.returned_revenue)::numeric AS returned_revenue
      FROM cparts p
      GROUP BY 1, 2, 3, 4, 5
    ), paired AS (
      SELECT x.zone, x.bucket, x.store_id, x.product_id, x.category,
             sum(x.units)::bigint AS units,
             sum(x.revenue)::numeric AS revenue,
             sum(x.transactions)::bigint AS transactions,
             sum(x.returned_units)::bigint AS returned_units,
             sum(x.returned_revenue)::numeric AS returned_revenue,
             sum(x.c_units) AS c_units,
             sum(x.c_revenue) AS c_revenue,
             sum(x.c_transactions) AS c_transactions,
             sum(x.c_returned_units) AS c_returned_units,
             sum(x.c_returned_revenue) AS c_returned_revenue
      FROM (SELECT a.zone, a.bucket, a.store_id, a.product_id, a.category, a.units AS units,
             a.revenue AS revenue,
             a.transactions AS transactions,
             a.returned_units AS returned_units,
             a.returned_revenue AS returned_revenue,
                   NULL::bigint AS c_units,
             NULL::numeric AS c_revenue,
             NULL::bigint AS c_transactions,
             NULL::bigint AS c_returned_units,
             NULL::numeric AS c_returned_revenue
            FROM agg a
            UNION ALL
            SELECT ca.zone, ca.bucket, ca.store_id, ca.product_id, ca.category, NULL::bigint AS units,
             NULL::numeric AS revenue,
             NULL::bigint AS transactions,
             NULL::bigint AS returned_units,
             NULL::numeric AS returned_revenue,
                   ca.units AS c_units,
             ca.revenue AS c_revenue,
             ca.transactions AS c_transactions,
             ca.returned_units AS c_returned_units,
             ca.returned_revenue AS c_returned_revenue
            FROM cagg ca) x
      GROUP BY 1, 2, 3, 4, 5
    ), keys AS (
      SELECT * FROM paired
    )
    SELECT k.bucket AS "bucket", k.store_id AS "storeId", k.product_id AS "productId", k.category AS "category",
           (coalesce(k.units, 0))::text AS "units",
           (coalesce(k.revenue, 0.00))::text AS "revenue",
           (coalesce(k.transactions, 0))::integer AS "transactions",
           (coalesce(k.returned_units, 0))::text AS "returnedUnits",
           round(coalesce(k.returned_revenue, 0), 2)::text AS "returnedRevenue",
           (coalesce(k.c_units, 0))::text AS "compared.units",
           (coalesce(k.c_revenue, 0.00))::text AS "compared.revenue",
           (coalesce(k.c_transactions, 0))::integer AS "compared.transactions",
           (coalesce(k.c_returned_units, 0))::text AS "compared.returnedUnits",
           round(coalesce(k.c_returned_revenue, 0), 2)::text AS "compared.returnedRevenue",
           greatest(k.bucket, $26::timestamptz)
             >= ((($27::timestamptz) AT TIME ZONE $28::text) + ($29::integer * interval '1 year' + $30::bigint * interval '1 millisecond')) AT TIME ZONE $31::text AS "compared.covered"
    FROM keys k
    WHERE k.bucket >= (date_trunc($32::text, $33::timestamptz AT TIME ZONE k.zone) AT TIME ZONE k.zone) AND k.bucket < $34::timestamptz
    ORDER BY k.bucket, k.store_id, k.product_id, k.category
    LIMIT $35
-- parameters: ["UTC","2026-05-01T05:30:00.000Z","2026-05-01T06:00:00.000Z","2026-05-01T06:00:00.000Z","2026-05-02T00:00:00.000Z","2026-05-02T00:00:00.000Z","2026-05-15T00:00:00.000Z","UTC","day","UTC","UTC","2025-05-01T05:30:00.000Z","2025-05-01T06:00:00.000Z","2025-05-01T06:00:00.000Z","2025-05-02T00:00:00.000Z","2025-05-02T00:00:00.000Z","2025-05-15T00:00:00.000Z","UTC","day","UTC",1,0,"UTC","UTC","UTC","2026-05-01T05:30:00.000Z","2024-07-01T00:00:00.000Z","UTC",1,0,"UTC","day","2026-05-01T05:30:00.000Z","2026-05-15T00:00:00.000Z",10001]
