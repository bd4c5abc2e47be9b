/* dailySales */
    SELECT to_char(d.bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS "day", d.store_id AS "storeId",
           d.product_id AS "productId", (d.units)::text AS "units",
           (d.revenue)::text AS "revenue",
           (d.transactions)::integer AS "transactions",
           (d.returned_units)::text AS "returnedUnits",
           round(d.returned_revenue, 2)::text AS "returnedRevenue",
           round(CASE WHEN d.uncosted_lines = 0 THEN d.cost END, 2)::text AS "cost",
           round(CASE WHEN d.uncosted_lines = 0 THEN d.revenue - d.cost END, 2)::text AS "grossMargin",
           (CASE WHEN d.uncosted_lines = 0 THEN round((d.revenue - d.cost) / nullif(d.revenue, 0), $1) END)::text AS "marginRate",
           (d.product_receipts)::integer AS "receipts",
           (round((d.receipt_revenue)::numeric / nullif(d.product_receipts, 0), $2))::text AS "averageReceiptValue",
           (round((d.receipt_units)::numeric / nullif(d.product_receipts, 0), $3))::text AS "unitsPerReceipt",
           (round((d.revenue)::numeric / nullif(d.units, 0), $4))::text AS "averageUnitPrice"
    FROM (SELECT r.store_id, r.product_id, r.bucket,
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
      WHERE r.bucket >= $5::timestamptz AND r.bucket < $6::timestamptz
      AND r.customer_id = $7::uuid
      UNION ALL
      SELECT r.store_id, r.product_id, r.bucket,
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
      WHERE r.bucket >= $8::timestamptz AND r.bucket < $9::timestamptz
      AND r.customer_id = $10::uuid
      ) d
    ORDER BY d.bucket, d.store_id, d.product_id
    LIMIT $11
-- parameters: [6,6,6,6,"2026-05-01T00:00:00.000Z","2026-05-08T00:00:00.000Z","<uuid>","2026-05-01T00:00:00.000Z","2026-05-08T00:00:00.000Z","<uuid>",51]
