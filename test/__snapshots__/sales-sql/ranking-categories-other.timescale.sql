/* salesRanking */
    WITH parts AS (
      SELECT x.customer_id, x.store_id, x.product_id, x.time AS t,
             x.quantity::bigint AS units,
             x.revenue AS revenue,
             1::bigint AS transactions,
             greatest(-x.quantity, 0)::bigint AS returned_units,
             CASE WHEN x.quantity < 0 THEN -x.revenue ELSE 0 END AS returned_revenue,
             coalesce(x.quantity * x.unit_cost, 0) AS cost,
             (x.unit_cost IS NULL)::integer::bigint AS uncosted_lines,
             x.opens_receipt::integer::bigint AS receipts,
             x.opens_product::integer::bigint AS product_receipts,
             (CASE WHEN x.receipt_id IS NOT NULL AND x.quantity > 0 THEN x.quantity ELSE 0 END)::bigint AS receipt_units,
             CASE WHEN x.receipt_id IS NOT NULL THEN x.revenue ELSE 0 END AS receipt_revenue
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
             r.uncosted_lines AS uncosted_lines,
             r.receipts AS receipts,
             r.product_receipts AS product_receipts,
             r.receipt_units AS receipt_units,
             r.receipt_revenue AS receipt_revenue
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
             r.uncosted_lines AS uncosted_lines,
             r.receipts AS receipts,
             r.product_receipts AS product_receipts,
             r.receipt_units AS receipt_units,
             r.receipt_revenue AS receipt_revenue
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
             r.uncosted_lines AS uncosted_lines,
             r.receipts AS receipts,
             r.product_receipts AS product_receipts,
             r.receipt_units AS receipt_units,
             r.receipt_revenue AS receipt_revenue
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
             r.uncosted_lines AS uncosted_lines,
             r.receipts AS receipts,
             r.product_receipts AS product_receipts,
             r.receipt_units AS receipt_units,
             r.receipt_revenue AS receipt_revenue
      FROM sales_daily_archived r
      WHERE r.bucket >= $14::timestamptz AND r.bucket < $15::timestamptz
      AND (SELECT h.boundary FROM archive_horizons h WHERE h.relation = 'transactions') > $16::timestamptz
      AND r.customer_id = $17::uuid
    ), agg AS (
      SELECT NULL::uuid AS store_id,
             NULL::uuid AS product_id,
             c.category AS category,
             sum(p.units)::bigint AS units,
             sum(p.revenue)::numeric AS revenue,
             sum(p.transactions)::bigint AS transactions,
             sum(p.returned_units)::bigint AS returned_units,
             sum(p.returned_revenue)::numeric AS returned_revenue,
             sum(p.cost)::numeric AS cost,
             sum(p.uncosted_lines)::bigint AS uncosted_lines,
             sum(p.receipts)::bigint AS receipts,
             sum(p.product_receipts)::bigint AS product_receipts,
             sum(p.receipt_units)::bigint AS receipt_units,
             sum(p.receipt_revenue)::numeric AS receipt_revenue
      FROM parts p
      JOIN products c ON c.customer_id = p.customer_id AND c.id = p.product_id
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
             sum(r.uncosted_lines)::bigint AS uncosted_lines,
             sum(r.receipts)::bigint AS receipts,
             sum(r.product_receipts)::bigint AS product_receipts,
             sum(r.receipt_units)::bigint AS receipt_units,
             sum(r.receipt_revenue)::numeric AS receipt_revenue FROM ranked r
    ), rest AS (
      SELECT sum(r.units)::bigint AS units,
             sum(r.revenue)::numeric AS revenue,
             sum(r.transactions)::bigint AS transactions,
             sum(r.returned_units)::bigint AS returned_units,
             sum(r.returned_revenue)::numeric AS returned_revenue,
             sum(r.cost)::numeric AS cost,
             sum(r.uncosted_lines)::bigint AS uncosted_lines,
             sum(r.receipts)::bigint AS receipts,
             sum(r.product_receipts)::bigint AS product_receipts,
             sum(r.receipt_units)::bigint AS receipt_units,
             sum(r.receipt_revenue)::numeric AS receipt_revenue FROM ranked r WHERE r.rank > $18
    ), answer AS (
      SELECT 0 AS part, r.rank, r.store_id, r.product_id, r.category, r.units AS units,
             r.revenue AS revenue,
             r.transactions AS transactions,
             r.returned_units AS returned_units,
             r.returned_revenue AS returned_revenue,
             r.cost AS cost,
             r.uncosted_lines AS uncosted_lines,
             r.receipts AS receipts,
             r.product_receipts AS product_receipts,
             r.receipt_units AS receipt_units,
             r.receipt_revenue AS receipt_revenue
      FROM ranked r
      WHERE r.rank <= $19
      UNION ALL
      SELECT 1, NULL, NULL::uuid AS store_id,
             NULL::uuid AS product_id,
             NULL::text AS category, o.units AS units,
             o.revenue AS revenue,
             o.transactions AS transactions,
             o.returned_units AS returned_units,
             o.returned_revenue AS returned_revenue,
             o.cost AS cost,
             o.uncosted_lines AS uncosted_lines,
             o.receipts AS receipts,
             o.product_receipts AS product_receipts,
             o.receipt_units AS receipt_units,
             o.receipt_revenue AS receipt_revenue
      FROM rest o
      UNION ALL
      SELECT 2, NULL, NULL::uuid AS store_id,
             NULL::uuid AS product_id,
             NULL::text AS category, t.units AS units,
             t.revenue AS revenue,
             t.transactions AS transactions,
             t.returned_units AS returned_units,
             t.returned_revenue AS returned_revenue,
             t.cost AS cost,
             t.uncosted_lines AS uncosted_lines,
             t.receipts AS receipts,
             t.product_receipts AS product_receipts,
             t.receipt_units AS receipt_units,
             t.receipt_revenue AS receipt_revenue
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
           (NULL::bigint)::integer AS "receipts",
           (round((coalesce(x.receipt_revenue, 0))::numeric / nullif(NULL::bigint, 0), $21))::text AS "averageReceiptValue",
           (round((coalesce(x.receipt_units, 0))::numeric / nullif(NULL::bigint, 0), $22))::text AS "unitsPerReceipt",
           (round((coalesce(x.revenue, 0.00))::numeric / nullif(coalesce(x.units, 0), 0), $23))::text AS "averageUnitPrice",
           CASE WHEN coalesce(t.revenue, 0.00) = 0 THEN NULL
                ELSE round((coalesce(x.revenue, 0.00))::numeric / (coalesce(t.revenue, 0.00)), $24)::text END AS "share"
    FROM answer x CROSS JOIN total t
    ORDER BY x.part, x.rank
-- parameters: ["2026-05-01T05:30:00.000Z","2026-05-01T06:00:00.000Z","<uuid>","2026-05-01T06:00:00.000Z","2026-05-02T00:00:00.000Z","<uuid>","2026-05-01T06:00:00.000Z","2026-05-02T00:00:00.000Z","2026-05-01T06:00:00.000Z","<uuid>","2026-05-02T00:00:00.000Z","2026-05-15T00:00:00.000Z","<uuid>","2026-05-02T00:00:00.000Z","2026-05-15T00:00:00.000Z","2026-05-02T00:00:00.000Z","<uuid>",3,3,6,6,6,6,6]
