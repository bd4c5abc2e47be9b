/* velocityForPairs */
    SELECT k.store_id AS "storeId", k.product_id AS "productId",
           round(coalesce(sum(d.units), 0)::numeric / $1::integer, $2::integer)::text
             AS "unitsPerDay"
    FROM unnest($3::uuid[], $4::uuid[]) AS k(store_id, product_id)
    LEFT JOIN (SELECT r.store_id, r.product_id, r.bucket,
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
      AND r.store_id = ANY($8::uuid[])
      AND r.product_id = ANY($9::uuid[])
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
      WHERE r.bucket >= $10::timestamptz AND r.bucket < $11::timestamptz
      AND r.customer_id = $12::uuid
      AND r.store_id = ANY($13::uuid[])
      AND r.product_id = ANY($14::uuid[])
      ) d
      ON d.store_id = k.store_id AND d.product_id = k.product_id
    GROUP BY k.store_id, k.product_id
-- parameters: [7,6,["<uuid>"],["<uuid>"],"2026-05-14T00:00:00.000Z","2026-05-21T00:00:00.000Z","<uuid>",["<uuid>"],["<uuid>"],"2026-05-14T00:00:00.000Z","2026-05-21T00:00:00.000Z","<uuid>",["<uuid>"],["<uuid>"]]
