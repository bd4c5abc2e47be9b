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
           (((greatest(k.bucket, $26::timestamptz)) AT TIME ZONE k.zone) - ($27::integer * interval '1 year' + $28::bigint * interval '1 millisecond')) AT TIME ZONE k.zone
             >= $29::timestamptz AS "compared.covered",
           ((coalesce(a.units, 0)) - (coalesce(ca.units, 0)))::text AS "change.units",
           CASE WHEN (coalesce(ca.units, 0)) = 0 THEN NULL
                ELSE round(((coalesce(a.units, 0)) - (coalesce(ca.units, 0)))::numeric / (coalesce(ca.units, 0)), $30)::text
           END AS "change.unitsRatio",
           ((coalesce(a.revenue, 0.00)) - (coalesce(ca.revenue, 0.00)))::text AS "change.revenue",
           CASE WHEN (coalesce(ca.revenue, 0.00)) = 0 THEN NULL
                ELSE round(((coalesce(a.revenue, 0.00)) - (coalesce(ca.revenue, 0.00)))::numeric / (coalesce(ca.revenue, 0.00)), $31)::text
           END AS "change.revenueRatio",
           ((coalesce(a.transactions, 0)) - (coalesce(ca.transactions, 0)))::integer AS "change.transactions",
           CASE WHEN (coalesce(ca.transactions, 0)) = 0 THEN NULL
                ELSE round(((coalesce(a.transactions, 0)) - (coalesce(ca.transactions, 0)))::numeric / (coalesce(ca.transactions, 0)), $32)::text
           END AS "change.transactionsRatio",
           ((coalesce(a.returned_units, 0)) - (coalesce(ca.returned_units, 0)))::text AS "change.returnedUnits",
           CASE WHEN (coalesce(ca.returned_units, 0)) = 0 THEN NULL
                ELSE round(((coalesce(a.returned_units, 0)) - (coalesce(ca.returned_units, 0)))::numeric / (coalesce(ca.returned_units, 0)), $33)::text
           END AS "change.returnedUnitsRatio",
           round((coalesce(a.returned_revenue, 0)) - (coalesce(ca.returned_revenue, 0)), 2)::text AS "change.returnedRevenue",
           CASE WHEN (coalesce(ca.returned_revenue, 0)) = 0 THEN NULL
                ELSE round(((coalesce(a.returned_revenue, 0)) - (coalesce(ca.returned_revenue, 0)))::numeric / (coalesce(ca.returned_revenue, 0)), $34)::text
           END AS "change.returnedRevenueRatio"
    FROM keys k
    LEFT JOIN agg a ON a.zone = k.zone AND a.bucket = k.bucket
      AND a.store_id = k.store_id
    LEFT JOIN cagg ca ON ca.zone = k.zone AND ca.bucket = k.bucket
      AND ca.store_id = k.store_id
    WHERE k.bucket >= (date_trunc($35::text, $36::timestamptz AT TIME ZONE k.zone) AT TIME ZONE k.zone) AND k.bucket < $37::timestamptz
    ORDER BY k.bucket, k.store_id, k.product_id, k.category
    LIMIT $38
-- parameters: ["UTC","2026-05-01T05:30:00.000Z","2026-05-01T06:00:00.000Z","2026-05-01T06:00:00.000Z","2026-05-02T00:00:00.000Z","2026-05-02T00:00:00.000Z","2026-05-15T00:00:00.000Z","UTC","day","UTC","UTC","2025-05-01T05:30:00.000Z","2025-05-01T06:00:00.000Z","2025-05-01T06:00:00.000Z","2025-05-02T00:00:00.000Z","2025-05-02T00:00:00.000Z","2025-05-15T00:00:00.000Z","UTC","day","UTC",1,0,"UTC","UTC","UTC","2026-05-01T05:30:00.000Z",1,0,"2024-07-01T00:00:00.000Z",6,6,6,6,6,"day","2026-05-01T05:30:00.000Z","2026-05-15T00:00:00.000Z",10001]
