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
             (x.unit_cost IS NULL)::integer::bigint AS uncosted_lines,
             x.opens_receipt::integer::bigint AS receipts,
             x.opens_product::integer::bigint AS product_receipts,
             (CASE WHEN x.receipt_id IS NOT NULL AND x.quantity > 0 THEN x.quantity ELSE 0 END)::bigint AS receipt_units,
             CASE WHEN x.receipt_id IS NOT NULL THEN x.revenue ELSE 0 END AS receipt_revenue
      FROM sale_lines x
      WHERE x.time >= $2::timestamptz AND x.time < $3::timestamptz
      AND x.customer_id = $4::uuid
      UNION ALL
      SELECT r.customer_id, r.store_id,
             NULL::uuid AS product_id, r.bucket AS t,
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
      FROM store_sales_hourly r
      WHERE r.bucket >= $5::timestamptz AND r.bucket < $6::timestamptz
      AND r.customer_id = $7::uuid
      UNION ALL
      SELECT r.customer_id, r.store_id,
             NULL::uuid AS product_id, r.bucket AS t,
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
      WHERE r.bucket >= $8::timestamptz AND r.bucket < $9::timestamptz
      AND (SELECT h.boundary FROM archive_horizons h WHERE h.relation = 'transactions') > $10::timestamptz
      AND r.customer_id = $11::uuid
      UNION ALL
      SELECT r.customer_id, r.store_id,
             NULL::uuid AS product_id, r.bucket AS t,
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
      FROM store_sales_daily r
      WHERE r.bucket >= $12::timestamptz AND r.bucket < $13::timestamptz
      AND r.customer_id = $14::uuid
      UNION ALL
      SELECT r.customer_id, r.store_id,
             NULL::uuid AS product_id, r.bucket AS t,
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
      WHERE r.bucket >= $15::timestamptz AND r.bucket < $16::timestamptz
      AND (SELECT h.boundary FROM archive_horizons h WHERE h.relation = 'transactions') > $17::timestamptz
      AND r.customer_id = $18::uuid
    ), agg AS (
      SELECT $19::text AS zone, (date_trunc($20::text, p.t AT TIME ZONE $21::text) AT TIME ZONE $22::text) AS bucket,
             p.store_id AS store_id,
             NULL::uuid AS product_id,
             NULL::text AS category,
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
      GROUP BY 1, 2, 3, 4, 5
    )
    SELECT a.bucket AS "bucket", a.store_id AS "storeId", a.product_id AS "productId", a.category AS "category",
           (a.units)::text AS "units",
           (a.revenue)::text AS "revenue",
           (a.transactions)::integer AS "transactions",
           (a.returned_units)::text AS "returnedUnits",
           round(a.returned_revenue, 2)::text AS "returnedRevenue",
           round(CASE WHEN a.uncosted_lines = 0 THEN a.cost END, 2)::text AS "cost",
           round(CASE WHEN a.uncosted_lines = 0 THEN a.revenue - a.cost END, 2)::text AS "grossMargin",
           (CASE WHEN a.uncosted_lines = 0 THEN round((a.revenue - a.cost) / nullif(a.revenue, 0), $23) END)::text AS "marginRate",
           (a.receipts)::integer AS "receipts",
           (round((a.receipt_revenue)::numeric / nullif(a.receipts, 0), $24))::text AS "averageReceiptValue",
           (round((a.receipt_units)::numeric / nullif(a.receipts, 0), $25))::text AS "unitsPerReceipt",
           (round((a.revenue)::numeric / nullif(a.units, 0), $26))::text AS "averageUnitPrice"
    FROM agg a
    ORDER BY a.bucket, a.store_id
    LIMIT $27
-- parameters: ["UTC","2026-05-01T05:30:00.000Z","2026-05-01T06:00:00.000Z","<uuid>","2026-05-01T06:00:00.000Z","2026-05-02T00:00:00.000Z","<uuid>","2026-05-01T06:00:00.000Z","2026-05-02T00:00:00.000Z","2026-05-01T06:00:00.000Z","<uuid>","2026-05-02T00:00:00.000Z","2026-05-15T00:00:00.000Z","<uuid>","2026-05-02T00:00:00.000Z","2026-05-15T00:00:00.000Z","2026-05-02T00:00:00.000Z","<uuid>","UTC","day","UTC","UTC",6,6,6,6,10001]
