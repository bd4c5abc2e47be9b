/* salesTrend */
    WITH zones AS (
      SELECT NULL::uuid AS store_id, $1::text AS zone
    ), parts AS (
      SELECT x.customer_id, x.store_id, x.product_id, x.time AS t,
             x.quantity::bigint AS units,
             x.revenue AS revenue,
             1::bigint AS transactions,
             greatest(-x.quantity, 0)::bigint AS returned_units,
             CASE WHEN x.quantity < 0 THEN -x.revenue ELSE 0 END AS returned_revenue,
             coalesce(x.quantity * x.unit_cost, 0) AS cost,
             (x.unit_cost IS NULL)::integer::bigint AS uncosted_lines
      FROM sale_lines x
      WHERE x.time >= $2::timestamptz AND x.time < $3::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id,
             NULL::uuid AS product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue,
             r.cost AS cost,
             r.uncosted_lines AS uncosted_lines
      FROM store_sales_hourly r
      WHERE r.bucket >= $4::timestamptz AND r.bucket < $5::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id,
             NULL::uuid AS product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue,
             r.cost AS cost,
             r.uncosted_lines AS uncosted_lines
      FROM sales_hourly_archived r
      WHERE r.bucket >= $6::timestamptz AND r.bucket < $7::timestamptz
      AND (SELECT h.boundary FROM archive_horizons h WHERE h.relation = 'transactions') > $8::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id,
             NULL::uuid AS product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue,
             r.cost AS cost,
             r.uncosted_lines AS uncosted_lines
      FROM store_sales_daily r
      WHERE r.bucket >= $9::timestamptz AND r.bucket < $10::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id,
             NULL::uuid AS product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue,
             r.cost AS cost,
             r.uncosted_lines AS uncosted_lines
      FROM sales_daily_archived r
      WHERE r.bucket >= $11::timestamptz AND r.bucket < $12::timestamptz
      AND (SELECT h.boundary FROM archive_horizons h WHERE h.relation = 'transactions') > $13::timestamptz
    ), cparts AS (
      SELECT x.customer_id, x.store_id, x.product_id, x.time AS t,
             x.quantity::bigint AS units,
             x.revenue AS revenue,
             1::bigint AS transactions,
             greatest(-x.quantity, 0)::bigint AS returned_units,
             CASE WHEN x.quantity < 0 THEN -x.revenue ELSE 0 END AS returned_revenue,
             coalesce(x.quantity * x.unit_cost, 0) AS cost,
             (x.unit_cost IS NULL)::integer::bigint AS uncosted_lines
      FROM sale_lines x
      WHERE x.time >= $14::timestamptz AND x.time < $15::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id,
             NULL::uuid AS product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue,
             r.cost AS cost,
             r.uncosted_lines AS uncosted_lines
      FROM store_sales_hourly r
      WHERE r.bucket >= $16::timestamptz AND r.bucket < $17::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id,
             NULL::uuid AS product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue,
             r.cost AS cost,
             r.uncosted_lines AS uncosted_lines
      FROM sales_hourly_archived r
      WHERE r.bucket >= $18::timestamptz AND r.bucket < $19::timestamptz
      AND (SELECT h.boundary FROM archive_horizons h WHERE h.relation = 'transactions') > $20::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id,
             NULL::uuid AS product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue,
             r.cost AS cost,
             r.uncosted_lines AS uncosted_lines
      FROM store_sales_daily r
      WHERE r.bucket >= $21::timestamptz AND r.bucket < $22::timestamptz
      UNION ALL
      SELECT r.customer_id, r.store_id,
             NULL::uuid AS product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue,
             r.cost AS cost,
             r.uncosted_lines AS uncosted_lines
      FROM sales_daily_archived r
      WHERE r.bucket >= $23::timestamptz AND r.bucket < $24::timestamptz
      AND (SELECT h.boundary FROM archive_horizons h WHERE h.relation = 'transactions') > $25::timestamptz
    ), paired AS (
      SELECT $26::text AS zone,
             (date_trunc($27::text, CASE WHEN p.compared THEN (((p.t) AT TIME ZONE $28::text) + ($29::integer * interval '1 year' + $30::bigint * interval '1 millisecond')) AT TIME ZONE $31::text ELSE p.t END AT TIME ZONE $32::text) AT TIME ZONE $33::text) AS bucket,
             p.store_id AS store_id,
             NULL::uuid AS product_id,
             NULL::text AS category,
             sum(p.units) FILTER (WHERE NOT p.compared)::bigint AS units,
             sum(p.revenue) FILTER (WHERE NOT p.compared)::numeric AS revenue,
             sum(p.transactions) FILTER (WHERE NOT p.compared)::bigint AS transactions,
             sum(p.returned_units) FILTER (WHERE NOT p.compared)::bigint AS returned_units,
             sum(p.returned_revenue) FILTER (WHERE NOT p.compared)::numeric AS returned_revenue,
             sum(p.cost) FILTER (WHERE NOT p.compared)::numeric AS cost,
             sum(p.uncosted_lines) FILTER (WHERE NOT p.compared)::bigint AS uncosted_lines,
             sum(p.units) FILTER (WHERE p.compared)::bigint AS c_units,
             sum(p.revenue) FILTER (WHERE p.compared)::numeric AS c_revenue,
             sum(p.transactions) FILTER (WHERE p.compared)::bigint AS c_transactions,
             sum(p.returned_units) FILTER (WHERE p.compared)::bigint AS c_returned_units,
             sum(p.returned_revenue) FILTER (WHERE p.compared)::numeric AS c_returned_revenue,
             sum(p.cost) FILTER (WHERE p.compared)::numeric AS c_cost,
             sum(p.uncosted_lines) FILTER (WHERE p.compared)::bigint AS c_uncosted_lines
      FROM (SELECT r.*, false AS compared FROM parts r
            UNION ALL
            SELECT r.*, true AS compared FROM cparts r) p
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
           round(CASE WHEN coalesce(k.uncosted_lines, 0) = 0 THEN coalesce(k.cost, 0) END, 2)::text AS "cost",
           round(CASE WHEN coalesce(k.uncosted_lines, 0) = 0 THEN coalesce(k.revenue, 0.00) - coalesce(k.cost, 0) END, 2)::text AS "grossMargin",
           (CASE WHEN coalesce(k.uncosted_lines, 0) = 0 THEN round((coalesce(k.revenue, 0.00) - coalesce(k.cost, 0)) / nullif(coalesce(k.revenue, 0.00), 0), $34) END)::text AS "marginRate",
           (coalesce(k.c_units, 0))::text AS "compared.units",
           (coalesce(k.c_revenue, 0.00))::text AS "compared.revenue",
           (coalesce(k.c_transactions, 0))::integer AS "compared.transactions",
           (coalesce(k.c_returned_units, 0))::text AS "compared.returnedUnits",
           round(coalesce(k.c_returned_revenue, 0), 2)::text AS "compared.returnedRevenue",
           round(CASE WHEN coalesce(k.c_uncosted_lines, 0) = 0 THEN coalesce(k.c_cost, 0) END, 2)::text AS "compared.cost",
           round(CASE WHEN coalesce(k.c_uncosted_lines, 0) = 0 THEN coalesce(k.c_revenue, 0.00) - coalesce(k.c_cost, 0) END, 2)::text AS "compared.grossMargin",
           (CASE WHEN coalesce(k.c_uncosted_lines, 0) = 0 THEN round((coalesce(k.c_revenue, 0.00) - coalesce(k.c_cost, 0)) / nullif(coalesce(k.c_revenue, 0.00), 0), $35) END)::text AS "compared.marginRate",
           greatest(k.bucket, $36::timestamptz)
             >= ((($37::timestamptz) AT TIME ZONE $38::text) + ($39::integer * interval '1 year' + $40::bigint * interval '1 millisecond')) AT TIME ZONE $41::text AS "compared.covered"
    FROM keys k
    WHERE k.bucket >= (date_trunc($42::text, $43::timestamptz AT TIME ZONE k.zone) AT TIME ZONE k.zone) AND k.bucket < $44::timestamptz
    ORDER BY k.bucket, k.store_id, k.product_id, k.category
    LIMIT $45
-- parameters: ["UTC","2026-05-01T05:30:00.000Z","2026-05-01T06:00:00.000Z","2026-05-01T06:00:00.000Z","2026-05-02T00:00:00.000Z","2026-05-01T06:00:00.000Z","2026-05-02T00:00:00.000Z","2026-05-01T06:00:00.000Z","2026-05-02T00:00:00.000Z","2026-05-15T00:00:00.000Z","2026-05-02T00:00:00.000Z","2026-05-15T00:00:00.000Z","2026-05-02T00:00:00.000Z","2025-05-01T05:30:00.000Z","2025-05-01T06:00:00.000Z","2025-05-01T06:00:00.000Z","2025-05-02T00:00:00.000Z","2025-05-01T06:00:00.000Z","2025-05-02T00:00:00.000Z","2025-05-01T06:00:00.000Z","2025-05-02T00:00:00.000Z","2025-05-15T00:00:00.000Z","2025-05-02T00:00:00.000Z","2025-05-15T00:00:00.000Z","2025-05-02T00:00:00.000Z","UTC","day","UTC",1,0,"UTC","UTC","UTC",6,6,"2026-05-01T05:30:00.000Z","2024-07-01T00:00:00.000Z","UTC",1,0,"UTC","day","2026-05-01T05:30:00.000Z","2026-05-15T00:00:00.000Z",10001]
