/* salesVelocity */
    WITH days AS MATERIALIZED (SELECT r.store_id, r.product_id, r.bucket,
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
      WHERE r.bucket >= $1::timestamptz AND r.bucket < $2::timestamptz
      AND r.customer_id = $3::uuid
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
      WHERE r.bucket >= $4::timestamptz AND r.bucket < $5::timestamptz
      AND r.customer_id = $6::uuid
      ),
    pairs AS (
      SELECT d.store_id, d.product_id FROM days d
      UNION
      SELECT i.store_id, i.product_id FROM inventory_snapshots i
      WHERE i.time >= $7::timestamptz AND i.time < $8::timestamptz
        AND i.customer_id = $9::uuid
    ), page AS (
      SELECT k.store_id, k.product_id FROM pairs k
      ORDER BY k.store_id, k.product_id
      LIMIT $10
    )
    SELECT k.store_id AS "storeId", k.product_id AS "productId",
           coalesce(sum(d.units), 0)::float8 / $11::integer AS "unitsPerDay",
           round(coalesce(sum(d.revenue), 0) / $12::integer, 2)::text AS "revenuePerDay"
    FROM page k
    LEFT JOIN days d ON d.store_id = k.store_id AND d.product_id = k.product_id
    GROUP BY k.store_id, k.product_id
    ORDER BY k.store_id, k.product_id
-- parameters: ["2026-05-14T00:00:00.000Z","2026-05-21T00:00:00.000Z","<uuid>","2026-05-14T00:00:00.000Z","2026-05-21T00:00:00.000Z","<uuid>","2026-05-14T00:00:00.000Z","2026-05-21T00:00:00.000Z","<uuid>",51,7,7]
