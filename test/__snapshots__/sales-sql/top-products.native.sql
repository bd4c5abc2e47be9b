/* salesRanking */
    WITH parts AS (
      SELECT x.customer_id, x.store_id, x.product_id, x.time AS t,
             x.quantity::bigint AS units,
             x.revenue AS revenue,
             1::bigint AS transactions,
             greatest(-x.quantity, 0)::bigint AS returned_units,
             CASE WHEN x.quantity < 0 THEN -x.revenue ELSE 0 END AS returned_revenue,
             coalesce(x.quantity * x.unit_cost, 0) AS cost,
             (x.unit_cost IS NULL)::integer::bigint AS uncosted_lines
      FROM sale_lines x
      WHERE x.time >= $1::timestamptz AND x.time < $2::timestamptz
      AND x.customer_id = $3::uuid
      UNION ALL
      SELECT r.customer_id, r.store_id,
             r.product_id AS product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue,
             r.cost AS cost,
             r.uncosted_lines AS uncosted_lines
      FROM sales_hourly r
      WHERE r.bucket >= $4::timestamptz AND r.bucket < $5::timestamptz
      AND r.customer_id = $6::uuid
      UNION ALL
      SELECT r.customer_id, r.store_id,
             r.product_id AS product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue,
             r.cost AS cost,
             r.uncosted_lines AS uncosted_lines
      FROM sales_hourly_archived r
      WHERE r.bucket >= $7::timestamptz AND r.bucket < $8::timestamptz
      AND (SELECT h.boundary FROM archive_horizons h WHERE h.relation = 'transactions') > $9::timestamptz
      AND r.customer_id = $10::uuid
      UNION ALL
      SELECT r.customer_id, r.store_id,
             r.product_id AS product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue,
             r.cost AS cost,
             r.uncosted_lines AS uncosted_lines
      FROM sales_daily r
      WHERE r.bucket >= $11::timestamptz AND r.bucket < $12::timestamptz
      AND r.customer_id = $13::uuid
      UNION ALL
      SELECT r.customer_id, r.store_id,
             r.product_id AS product_id, r.bucket AS t,
             r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue,
             r.cost AS cost,
             r.uncosted_lines AS uncosted_lines
      FROM sales_daily_archived r
      WHERE r.bucket >= $14::timestamptz AND r.bucket < $15::timestamptz
      AND (SELECT h.boundary FROM archive_horizons h WHERE h.relation = 'transactions') > $16::timestamptz
      AND r.customer_id = $17::uuid
    ), agg AS (
      SELECT NULL::uuid AS store_id,
             p.product_id AS product_id,
             NULL::text AS category,
             sum(p.units)::bigint AS units,
             sum(p.revenue)::numeric AS revenue,
             sum(p.transactions)::bigint AS transactions,
             sum(p.returned_units)::bigint AS returned_units,
             sum(p.returned_revenue)::numeric AS returned_revenue,
             sum(p.cost)::numeric AS cost,
             sum(p.uncosted_lines)::bigint AS uncosted_lines
      FROM parts p
      GROUP BY 1, 2, 3
    ), ranked AS (
      SELECT a.*, row_number() OVER (ORDER BY coalesce(a.revenue, 0.00) DESC NULLS LAST, a.store_id, a.product_id, a.category) AS rank
      FROM agg a
    ), total AS (
      SELECT sum(r.units)::bigint AS units,
             sum(r.revenue)::numeric AS revenue,
             sum(r.transactions)::bigint AS transactions,
             sum(r.returned_units)::bigint AS returned_units,
             sum(r.returned_revenue)::numeric AS returned_revenue,
             sum(r.cost)::numeric AS cost,
             sum(r.uncosted_lines)::bigint AS uncosted_lines FROM ranked r
    ), rest AS (
      SELECT sum(r.units)::bigint AS units,
             sum(r.revenue)::numeric AS revenue,
             sum(r.transactions)::bigint AS transactions,
             sum(r.returned_units)::bigint AS returned_units,
             sum(r.returned_revenue)::numeric AS returned_revenue,
             sum(r.cost)::numeric AS cost,
             sum(r.uncosted_lines)::bigint AS uncosted_lines FROM ranked r WHERE r.rank > $18
    ), answer AS (
      SELECT 0 AS part, r.rank, r.store_id, r.product_id, r.category, r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue,
             r.cost AS cost,
             r.uncosted_lines AS uncosted_lines
      FROM ranked r
      WHERE r.rank <= $19
      UNION ALL
      SELECT 2, NULL, NULL::uuid AS store_id,
             NULL::uuid AS product_id,
             NULL::text AS category, t.units AS units,
             t.revenue AS revenue,
             t.transactions AS transactions,
             t.returned_units AS returned_units,
             t.returned_revenue AS returned_revenue,
             t.cost AS cost,
             t.uncosted_lines AS uncosted_lines
      FROM total t
    )
    SELECT x.part AS "part", x.rank::integer AS "rank", x.store_id AS "storeId", x.product_id AS "productId", x.category AS "category",
           (coalesce(x.units, 0))::text AS "units",
           (coalesce(x.revenue, 0.00))::text AS "revenue",
           (coalesce(x.transactions, 0))::integer AS "transactions",
           (coalesce(x.returned_units, 0))::text AS "returnedUnits",
           round(coalesce(x.returned_revenue, 0), 2)::text AS "returnedRevenue",
           round(CASE WHEN coalesce(x.uncosted_lines, 0) = 0 THEN coalesce(x.cost, 0) END, 2)::text AS "cost",
           round(CASE WHEN coalesce(x.uncosted_lines, 0) = 0 THEN coalesce(x.revenue, 0.00) - coalesce(x.cost, 0) END, 2)::text AS "grossMargin",
           (CASE WHEN coalesce(x.uncosted_lines, 0) = 0 THEN round((coalesce(x.revenue, 0.00) - coalesce(x.cost, 0)) / nullif(coalesce(x.revenue, 0.00), 0), $20) END)::text AS "marginRate",
           CASE WHEN coalesce(t.revenue, 0.00) = 0 THEN NULL
                ELSE round((coalesce(x.revenue, 0.00))::numeric / (coalesce(t.revenue, 0.00)), $21)::text END AS "share"
    FROM answer x CROSS JOIN total t
    ORDER BY x.part, x.rank
-- parameters: ["2026-05-01T05:30:00.000Z","2026-05-01T06:00:00.000Z","<uuid>","2026-05-01T06:00:00.000Z","2026-05-02T00:00:00.000Z","<uuid>","2026-05-01T06:00:00.000Z","2026-05-02T00:00:00.000Z","2026-05-01T06:00:00.000Z","<uuid>","2026-05-02T00:00:00.000Z","2026-05-15T00:00:00.000Z","<uuid>","2026-05-02T00:00:00.000Z","2026-05-15T00:00:00.000Z","2026-05-02T00:00:00.000Z","<uuid>",10,10,6,6]
