/* salesTrend */
    WITH zones AS (
      SELECT u.store_id, u.zone
      FROM unnest($1::uuid[], $2::text[])
           AS u(store_id, zone)
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
      WHERE x.time >= $3::timestamptz AND x.time < $4::timestamptz
      AND x.customer_id = $5::uuid
      AND x.store_id = ANY($6::uuid[])
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
      WHERE r.bucket >= $7::timestamptz AND r.bucket < $8::timestamptz
      AND r.customer_id = $9::uuid
      AND r.store_id = ANY($10::uuid[])
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
      WHERE r.bucket >= $11::timestamptz AND r.bucket < $12::timestamptz
      AND (SELECT h.boundary FROM archive_horizons h WHERE h.relation = 'transactions') > $13::timestamptz
      AND r.customer_id = $14::uuid
      AND r.store_id = ANY($15::uuid[])
    ), agg AS (
      SELECT z.zone AS zone, (date_trunc($16::text, p.t AT TIME ZONE z.zone) AT TIME ZONE z.zone) AS bucket,
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
      JOIN zones z ON z.store_id = p.store_id
      GROUP BY 1, 2, 3, 4, 5
    ), series AS (
      SELECT zz.zone, b.bucket
      FROM (SELECT DISTINCT zone FROM zones) zz
      CROSS JOIN LATERAL (SELECT g AT TIME ZONE zz.zone AS bucket
      FROM generate_series(date_trunc($17::text, $18::timestamptz AT TIME ZONE zz.zone),
                           ($19::timestamptz - interval '1 microsecond') AT TIME ZONE zz.zone,
                           $20::interval) g) b
    ), groups AS (
      SELECT z.zone, z.store_id AS store_id,
             NULL::uuid AS product_id,
             NULL::text AS category
      FROM zones z
    )
    SELECT s.bucket AS "bucket", g.store_id AS "storeId", g.product_id AS "productId", g.category AS "category",
           (coalesce(a.units, 0))::text AS "units",
           (coalesce(a.revenue, 0.00))::text AS "revenue",
           (coalesce(a.transactions, 0))::integer AS "transactions",
           (coalesce(a.returned_units, 0))::text AS "returnedUnits",
           round(coalesce(a.returned_revenue, 0), 2)::text AS "returnedRevenue",
           round(CASE WHEN coalesce(a.uncosted_lines, 0) = 0 THEN coalesce(a.cost, 0) END, 2)::text AS "cost",
           round(CASE WHEN coalesce(a.uncosted_lines, 0) = 0 THEN coalesce(a.revenue, 0.00) - coalesce(a.cost, 0) END, 2)::text AS "grossMargin",
           (CASE WHEN coalesce(a.uncosted_lines, 0) = 0 THEN round((coalesce(a.revenue, 0.00) - coalesce(a.cost, 0)) / nullif(coalesce(a.revenue, 0.00), 0), $21) END)::text AS "marginRate",
           (coalesce(a.receipts, 0))::integer AS "receipts",
           (round((coalesce(a.receipt_revenue, 0))::numeric / nullif(coalesce(a.receipts, 0), 0), $22))::text AS "averageReceiptValue",
           (round((coalesce(a.receipt_units, 0))::numeric / nullif(coalesce(a.receipts, 0), 0), $23))::text AS "unitsPerReceipt",
           (round((coalesce(a.revenue, 0.00))::numeric / nullif(coalesce(a.units, 0), 0), $24))::text AS "averageUnitPrice"
    FROM groups g
    JOIN series s ON s.zone = g.zone
    LEFT JOIN agg a ON a.zone = g.zone AND a.bucket = s.bucket
      AND a.store_id = g.store_id
    ORDER BY s.bucket, g.store_id
    LIMIT $25
-- parameters: [["<uuid>","<uuid>","<uuid>","<uuid>","<uuid>","<uuid>","<uuid>","<uuid>"],["Europe/Berlin","Europe/Berlin","Europe/Berlin","Europe/Berlin","Europe/Berlin","Europe/Berlin","Europe/Berlin","Europe/Berlin"],"2026-05-01T05:30:00.000Z","2026-05-01T06:00:00.000Z","<uuid>",["<uuid>","<uuid>","<uuid>","<uuid>","<uuid>","<uuid>","<uuid>","<uuid>"],"2026-05-01T06:00:00.000Z","2026-05-15T00:00:00.000Z","<uuid>",["<uuid>","<uuid>","<uuid>","<uuid>","<uuid>","<uuid>","<uuid>","<uuid>"],"2026-05-01T06:00:00.000Z","2026-05-15T00:00:00.000Z","2026-05-01T06:00:00.000Z","<uuid>",["<uuid>","<uuid>","<uuid>","<uuid>","<uuid>","<uuid>","<uuid>","<uuid>"],"day","day","2026-05-01T05:30:00.000Z","2026-05-15T00:00:00.000Z","1 day",6,6,6,6,10001]
