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
      WHERE r.bucket >= $5::timestamptz AND r.bucket < $6::timestamptz
      AND r.customer_id = $7::uuid
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
      WHERE r.bucket >= $8::timestamptz AND r.bucket < $9::timestamptz
      AND (SELECT h.boundary FROM archive_horizons h WHERE h.relation = 'transactions') > $10::timestamptz
      AND r.customer_id = $11::uuid
      UNION ALL
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
      WHERE x.time >= $12::timestamptz AND x.time < $13::timestamptz
      AND x.customer_id = $14::uuid
    ), agg AS (
      SELECT $15::text AS zone, (p.t - ((p.t AT TIME ZONE $16::text) - date_trunc('hour', p.t AT TIME ZONE $17::text))) AS bucket,
             NULL::uuid AS store_id,
             p.product_id AS product_id,
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
    ), series AS (
      SELECT zz.zone, b.bucket
      FROM (SELECT DISTINCT zone FROM zones) zz
      CROSS JOIN LATERAL (SELECT DISTINCT (q.t - ((q.t AT TIME ZONE zz.zone) - date_trunc('hour', q.t AT TIME ZONE zz.zone))) AS bucket
      FROM (SELECT $18::timestamptz AS t
            UNION ALL
            SELECT generate_series(date_bin('15 minutes', $19::timestamptz, '2000-01-01 00:00:00+00'),
                                   $20::timestamptz - interval '1 microsecond', interval '15 minutes')) q
      WHERE q.t >= $21::timestamptz) b
    ), groups AS (
      SELECT DISTINCT zone, store_id, product_id, category FROM agg x
    )
    SELECT s.bucket AS "bucket", g.store_id AS "storeId", g.product_id AS "productId", g.category AS "category",
           (coalesce(a.units, 0))::text AS "units",
           (coalesce(a.revenue, 0.00))::text AS "revenue",
           (coalesce(a.transactions, 0))::integer AS "transactions",
           (coalesce(a.returned_units, 0))::text AS "returnedUnits",
           round(coalesce(a.returned_revenue, 0), 2)::text AS "returnedRevenue",
           round(CASE WHEN coalesce(a.uncosted_lines, 0) = 0 THEN coalesce(a.cost, 0) END, 2)::text AS "cost",
           round(CASE WHEN coalesce(a.uncosted_lines, 0) = 0 THEN coalesce(a.revenue, 0.00) - coalesce(a.cost, 0) END, 2)::text AS "grossMargin",
           (CASE WHEN coalesce(a.uncosted_lines, 0) = 0 THEN round((coalesce(a.revenue, 0.00) - coalesce(a.cost, 0)) / nullif(coalesce(a.revenue, 0.00), 0), $22) END)::text AS "marginRate",
           (coalesce(a.product_receipts, 0))::integer AS "receipts",
           (round((coalesce(a.receipt_revenue, 0))::numeric / nullif(coalesce(a.product_receipts, 0), 0), $23))::text AS "averageReceiptValue",
           (round((coalesce(a.receipt_units, 0))::numeric / nullif(coalesce(a.product_receipts, 0), 0), $24))::text AS "unitsPerReceipt",
           (round((coalesce(a.revenue, 0.00))::numeric / nullif(coalesce(a.units, 0), 0), $25))::text AS "averageUnitPrice"
    FROM groups g
    JOIN series s ON s.zone = g.zone
    LEFT JOIN agg a ON a.zone = g.zone AND a.bucket = s.bucket
      AND a.product_id = g.product_id
    ORDER BY s.bucket, g.product_id
    LIMIT $26
-- parameters: ["Europe/Berlin","2026-05-10T05:17:00.000Z","2026-05-10T06:00:00.000Z","<uuid>","2026-05-10T06:00:00.000Z","2026-05-12T20:00:00.000Z","<uuid>","2026-05-10T06:00:00.000Z","2026-05-12T20:00:00.000Z","2026-05-10T06:00:00.000Z","<uuid>","2026-05-12T20:00:00.000Z","2026-05-12T20:45:00.000Z","<uuid>","Europe/Berlin","Europe/Berlin","Europe/Berlin","2026-05-10T05:17:00.000Z","2026-05-10T05:17:00.000Z","2026-05-12T20:45:00.000Z","2026-05-10T05:17:00.000Z",6,6,6,6,10001]
