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
      SELECT r.customer_id, r.store_id, r.product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue
      FROM sales_hourly r
      WHERE r.bucket >= $4::timestamptz AND r.bucket < $5::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id, r.product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue
      FROM sales_hourly_archived r
      WHERE r.bucket >= $6::timestamptz AND r.bucket < $7::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id, r.product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue
      FROM sales_daily r
      WHERE r.bucket >= $8::timestamptz AND r.bucket < $9::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id, r.product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue
      FROM sales_daily_archived r
      WHERE r.bucket >= $10::timestamptz AND r.bucket < $11::timestamptz
    ), agg AS (
      SELECT $12::text AS zone, (date_trunc($13::text, p.t AT TIME ZONE $14::text) AT TIME ZONE $15::text) AS bucket,
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
      WHERE x.time >= $16::timestamptz AND x.time < $17::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id, r.product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue
      FROM sales_hourly r
      WHERE r.bucket >= $18::timestamptz AND r.bucket < $19::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id, r.product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue
      FROM sales_hourly_archived r
      WHERE r.bucket >= $20::timestamptz AND r.bucket < $21::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id, r.product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue
      FROM sales_daily r
      WHERE r.bucket >= $22::timestamptz AND r.bucket < $23::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id, r.product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue
      FROM sales_daily_archived r
      WHERE r.bucket >= $24::timestamptz AND r.bucket < $25::timestamptz
    ), cagg AS (
      SELECT $26::text AS zone,
             (date_trunc($27::text, (((p.t) AT TIME ZONE $28::text) + ($29::integer * interval '1 year' + $30::bigint * interval '1 millisecond')) AT TIME ZONE $31::text AT TIME ZONE $32::text) AT TIME ZONE $33::text) AS bucket,
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
    ), keys AS (
      SELECT zone, bucket, store_id, product_id, category FROM agg
      UNION
      SELECT zone, bucket, store_id, product_id, category FROM cagg
    )
    SELECT k.bucket AS "bucket", k.store_id AS "storeId", k.product_id AS "productId", k.category AS "category",
           (coalesce(a.units, 0))::text AS "units",
           (coalesce(a.revenue, 0.00))::text AS "revenue",
           (coalesce(a.transactions, 0))::integer AS "transactions",
           (coalesce(a.returned_units, 0))::text AS "returnedUnits",
           round(coalesce(a.returned_revenue, 0), 2)::text AS "returnedRevenue",
           (coalesce(ca.units, 0))::text AS "compared.units",
           (coalesce(ca.revenue, 0.00))::text AS "compared.revenue",
           (coalesce(ca.transactions, 0))::integer AS "compared.transactions",
           (coalesce(ca.returned_units, 0))::text AS "compared.returnedUnits",
           round(coalesce(ca.returned_revenue, 0), 2)::text AS "compared.returnedRevenue",
           (((greatest(k.bucket, $34::timestamptz)) AT TIME ZONE k.zone) - ($35::integer * interval '1 year' + $36::bigint * interval '1 millisecond')) AT TIME ZONE k.zone
             >= $37::timestamptz AS "compared.covered",
           ((coalesce(a.units, 0)) - (coalesce(ca.units, 0)))::text AS "change.units",
           CASE WHEN (coalesce(ca.units, 0)) = 0 THEN NULL
                ELSE round(((coalesce(a.units, 0)) - (coalesce(ca.units, 0)))::numeric / (coalesce(ca.units, 0)), $38)::text
           END AS "change.unitsRatio",
           ((coalesce(a.revenue, 0.00)) - (coalesce(ca.revenue, 0.00)))::text AS "change.revenue",
           CASE WHEN (coalesce(ca.revenue, 0.00)) = 0 THEN NULL
                ELSE round(((coalesce(a.revenue, 0.00)) - (coalesce(ca.revenue, 0.00)))::numeric / (coalesce(ca.revenue, 0.00)), $39)::text
           END AS "change.revenueRatio",
           ((coalesce(a.transactions, 0)) - (coalesce(ca.transactions, 0)))::integer AS "change.transactions",
           CASE WHEN (coalesce(ca.transactions, 0)) = 0 THEN NULL
                ELSE round(((coalesce(a.transactions, 0)) - (coalesce(ca.transactions, 0)))::numeric / (coalesce(ca.transactions, 0)), $40)::text
           END AS "change.transactionsRatio",
           ((coalesce(a.returned_units, 0)) - (coalesce(ca.returned_units, 0)))::text AS "change.returnedUnits",
           CASE WHEN (coalesce(ca.returned_units, 0)) = 0 THEN NULL
                ELSE round(((coalesce(a.returned_units, 0)) - (coalesce(ca.returned_units, 0)))::numeric / (coalesce(ca.returned_units, 0)), $41)::text
           END AS "change.returnedUnitsRatio",
           round((coalesce(a.returned_revenue, 0)) - (coalesce(ca.returned_revenue, 0)), 2)::text AS "change.returnedRevenue",
           CASE WHEN (coalesce(ca.returned_revenue, 0)) = 0 THEN NULL
                ELSE round(((coalesce(a.returned_revenue, 0)) - (coalesce(ca.returned_revenue, 0)))::numeric / (coalesce(ca.returned_revenue, 0)), $42)::text
           END AS "change.returnedRevenueRatio"
    FROM keys k
    LEFT JOIN agg a ON a.zone = k.zone AND a.bucket = k.bucket
      AND a.store_id = k.store_id
    LEFT JOIN cagg ca ON ca.zone = k.zone AND ca.bucket = k.bucket
      AND ca.store_id = k.store_id
    WHERE k.bucket >= (date_trunc($43::text, $44::timestamptz AT TIME ZONE k.zone) AT TIME ZONE k.zone) AND k.bucket < $45::timestamptz
    ORDER BY k.bucket, k.store_id, k.product_id, k.category
    LIMIT $46
-- parameters: ["UTC","2026-05-01T05:30:00.000Z","2026-05-01T06:00:00.000Z","2026-05-01T06:00:00.000Z","2026-05-02T00:00:00.000Z","2026-05-01T06:00:00.000Z","2026-05-02T00:00:00.000Z","2026-05-02T00:00:00.000Z","2026-05-15T00:00:00.000Z","2026-05-02T00:00:00.000Z","2026-05-15T00:00:00.000Z","UTC","day","UTC","UTC","2025-05-01T05:30:00.000Z","2025-05-01T06:00:00.000Z","2025-05-01T06:00:00.000Z","2025-05-02T00:00:00.000Z","2025-05-01T06:00:00.000Z","2025-05-02T00:00:00.000Z","2025-05-02T00:00:00.000Z","2025-05-15T00:00:00.000Z","2025-05-02T00:00:00.000Z","2025-05-15T00:00:00.000Z","UTC","day","UTC",1,0,"UTC","UTC","UTC","2026-05-01T05:30:00.000Z",1,0,"2024-07-01T00:00:00.000Z",6,6,6,6,6,"day","2026-05-01T05:30:00.000Z","2026-05-15T00:00:00.000Z",10001]
