/* salesTrend */
    WITH zones AS (
      SELECT NULL::uuid AS store_id, $1::text AS zone
    ), parts AS (
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
      WHERE r.bucket >= $2::timestamptz AND r.bucket < $3::timestamptz
      AND r.customer_id = $4::uuid
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
      WHERE r.bucket >= $5::timestamptz AND r.bucket < $6::timestamptz
      AND (SELECT h.boundary FROM archive_horizons h WHERE h.relation = 'transactions') > $7::timestamptz
      AND r.customer_id = $8::uuid
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
      WHERE x.time >= $9::timestamptz AND x.time < $10::timestamptz
      AND x.customer_id = $11::uuid
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
      WHERE r.bucket >= $15::timestamptz AND r.bucket < $16::timestamptz
      AND r.customer_id = $17::uuid
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
      WHERE r.bucket >= $18::timestamptz AND r.bucket < $19::timestamptz
      AND (SELECT h.boundary FROM archive_horizons h WHERE h.relation = 'transactions') > $20::timestamptz
      AND r.customer_id = $21::uuid
    ), agg AS (
      SELECT $22::text AS zone, (date_trunc($23::text, p.t AT TIME ZONE $24::text) AT TIME ZONE $25::text) AS bucket,
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
      WHERE p.t >= $26::timestamptz
         OR (date_trunc($27::text, p.t AT TIME ZONE $28::text) AT TIME ZONE $29::text) < (date_trunc($30::text, $31::timestamptz AT TIME ZONE $32::text) AT TIME ZONE $33::text)
      GROUP BY 1, 2, 3, 4, 5
    ), series AS (
      SELECT zz.zone, b.bucket
      FROM (SELECT DISTINCT zone FROM zones) zz
      CROSS JOIN LATERAL (SELECT g AT TIME ZONE zz.zone AS bucket
      FROM generate_series(date_trunc($34::text, $35::timestamptz AT TIME ZONE zz.zone),
                           ($36::timestamptz - interval '1 microsecond') AT TIME ZONE zz.zone,
                           $37::interval) g) b
    ), groups AS (
      SELECT DISTINCT zone, store_id, product_id, category FROM agg x
    ), filled AS (
      SELECT s.zone, s.bucket, g.store_id, g.product_id, g.category, s.bucket >= (date_trunc($38::text, $39::timestamptz AT TIME ZONE s.zone) AT TIME ZONE s.zone) AS in_range,
             a.bucket IS NOT NULL AS present,
             coalesce(a.units, 0) AS units,
             coalesce(a.revenue, 0.00) AS revenue,
             coalesce(a.transactions, 0) AS transactions,
             coalesce(a.returned_units, 0) AS returned_units,
             coalesce(a.returned_revenue, 0) AS returned_revenue,
             coalesce(a.cost, 0) AS cost,
             coalesce(a.uncosted_lines, 0) AS uncosted_lines,
             coalesce(a.receipts, 0) AS receipts,
             coalesce(a.product_receipts, 0) AS product_receipts,
             coalesce(a.receipt_units, 0) AS receipt_units,
             coalesce(a.receipt_revenue, 0) AS receipt_revenue
      FROM groups g
      JOIN series s ON s.zone = g.zone
      LEFT JOIN agg a ON a.zone = g.zone AND a.bucket = s.bucket
        AND a.store_id = g.store_id
    ), windowed AS (
      SELECT f.*,
             sum(f.units) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS BETWEEN $40::integer PRECEDING AND CURRENT ROW) AS rolling_units,
             sum(f.revenue) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS BETWEEN $41::integer PRECEDING AND CURRENT ROW) AS rolling_revenue,
             sum(f.transactions) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS BETWEEN $42::integer PRECEDING AND CURRENT ROW) AS rolling_transactions,
             sum(f.returned_units) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS BETWEEN $43::integer PRECEDING AND CURRENT ROW) AS rolling_returned_units,
             sum(f.returned_revenue) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS BETWEEN $44::integer PRECEDING AND CURRENT ROW) AS rolling_returned_revenue,
             sum(f.cost) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS BETWEEN $45::integer PRECEDING AND CURRENT ROW) AS rolling_cost,
             sum(f.uncosted_lines) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS BETWEEN $46::integer PRECEDING AND CURRENT ROW) AS rolling_uncosted_lines,
             sum(f.receipts) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS BETWEEN $47::integer PRECEDING AND CURRENT ROW) AS rolling_receipts,
             sum(f.product_receipts) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS BETWEEN $48::integer PRECEDING AND CURRENT ROW) AS rolling_product_receipts,
             sum(f.receipt_units) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS BETWEEN $49::integer PRECEDING AND CURRENT ROW) AS rolling_receipt_units,
             sum(f.receipt_revenue) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS BETWEEN $50::integer PRECEDING AND CURRENT ROW) AS rolling_receipt_revenue,
             sum(f.units) FILTER (WHERE f.in_range) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS UNBOUNDED PRECEDING) AS cumulative_units,
             sum(f.revenue) FILTER (WHERE f.in_range) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS UNBOUNDED PRECEDING) AS cumulative_revenue,
             sum(f.transactions) FILTER (WHERE f.in_range) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS UNBOUNDED PRECEDING) AS cumulative_transactions,
             sum(f.returned_units) FILTER (WHERE f.in_range) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS UNBOUNDED PRECEDING) AS cumulative_returned_units,
             sum(f.returned_revenue) FILTER (WHERE f.in_range) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS UNBOUNDED PRECEDING) AS cumulative_returned_revenue,
             sum(f.cost) FILTER (WHERE f.in_range) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS UNBOUNDED PRECEDING) AS cumulative_cost,
             sum(f.uncosted_lines) FILTER (WHERE f.in_range) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS UNBOUNDED PRECEDING) AS cumulative_uncosted_lines,
             sum(f.receipts) FILTER (WHERE f.in_range) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS UNBOUNDED PRECEDING) AS cumulative_receipts,
             sum(f.product_receipts) FILTER (WHERE f.in_range) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS UNBOUNDED PRECEDING) AS cumulative_product_receipts,
             sum(f.receipt_units) FILTER (WHERE f.in_range) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS UNBOUNDED PRECEDING) AS cumulative_receipt_units,
             sum(f.receipt_revenue) FILTER (WHERE f.in_range) OVER (PARTITION BY f.zone, f.store_id, f.product_id, f.category ORDER BY f.bucket ROWS UNBOUNDED PRECEDING) AS cumulative_receipt_revenue
      FROM filled f
    )
    SELECT f.bucket AS "bucket", f.store_id AS "storeId", f.product_id AS "productId", f.category AS "category",
           (f.units)::text AS "units",
           (f.revenue)::text AS "revenue",
           (f.transactions)::integer AS "transactions",
           (f.returned_units)::text AS "returnedUnits",
           round(f.returned_revenue, 2)::text AS "returnedRevenue",
           round(CASE WHEN f.uncosted_lines = 0 THEN f.cost END, 2)::text AS "cost",
           round(CASE WHEN f.uncosted_lines = 0 THEN f.revenue - f.cost END, 2)::text AS "grossMargin",
           (CASE WHEN f.uncosted_lines = 0 THEN round((f.revenue - f.cost) / nullif(f.revenue, 0), $51) END)::text AS "marginRate",
           (f.receipts)::integer AS "receipts",
           (round((f.receipt_revenue)::numeric / nullif(f.receipts, 0), $52))::text AS "averageReceiptValue",
           (round((f.receipt_units)::numeric / nullif(f.receipts, 0), $53))::text AS "unitsPerReceipt",
           (round((f.revenue)::numeric / nullif(f.units, 0), $54))::text AS "averageUnitPrice",
           (f.rolling_units)::text AS "rolling.sum.units",
           (f.rolling_revenue)::text AS "rolling.sum.revenue",
           (f.rolling_transactions)::integer AS "rolling.sum.transactions",
           (f.rolling_returned_units)::text AS "rolling.sum.returnedUnits",
           round(f.rolling_returned_revenue, 2)::text AS "rolling.sum.returnedRevenue",
           round(CASE WHEN f.rolling_uncosted_lines = 0 THEN f.rolling_cost END, 2)::text AS "rolling.sum.cost",
           round(CASE WHEN f.rolling_uncosted_lines = 0 THEN f.rolling_revenue - f.rolling_cost END, 2)::text AS "rolling.sum.grossMargin",
           (CASE WHEN f.rolling_uncosted_lines = 0 THEN round((f.rolling_revenue - f.rolling_cost) / nullif(f.rolling_revenue, 0), $55) END)::text AS "rolling.sum.marginRate",
           (f.rolling_receipts)::integer AS "rolling.sum.receipts",
           (round((f.rolling_receipt_revenue)::numeric / nullif(f.rolling_receipts, 0), $56))::text AS "rolling.sum.averageReceiptValue",
           (round((f.rolling_receipt_units)::numeric / nullif(f.rolling_receipts, 0), $57))::text AS "rolling.sum.unitsPerReceipt",
           (round((f.rolling_revenue)::numeric / nullif(f.rolling_units, 0), $58))::text AS "rolling.sum.averageUnitPrice",
           round((f.rolling_units)::numeric / $59::integer, $60)::text AS "rolling.mean.units",
           round((f.rolling_revenue)::numeric / $61::integer, $62)::text AS "rolling.mean.revenue",
           round((f.rolling_transactions)::numeric / $63::integer, $64)::text AS "rolling.mean.transactions",
           round((f.rolling_returned_units)::numeric / $65::integer, $66)::text AS "rolling.mean.returnedUnits",
           round((f.rolling_returned_revenue)::numeric / $67::integer, $68)::text AS "rolling.mean.returnedRevenue",
           round((CASE WHEN f.rolling_uncosted_lines = 0 THEN f.rolling_cost END)::numeric / $69::integer, $70)::text AS "rolling.mean.cost",
           round((CASE WHEN f.rolling_uncosted_lines = 0 THEN f.rolling_revenue - f.rolling_cost END)::numeric / $71::integer, $72)::text AS "rolling.mean.grossMargin",
           (CASE WHEN f.rolling_uncosted_lines = 0 THEN round((f.rolling_revenue - f.rolling_cost) / nullif(f.rolling_revenue, 0), $73) END)::text AS "rolling.mean.marginRate",
           round((f.rolling_receipts)::numeric / $74::integer, $75)::text AS "rolling.mean.receipts",
           (round((f.rolling_receipt_revenue)::numeric / nullif(f.rolling_receipts, 0), $76))::text AS "rolling.mean.averageReceiptValue",
           (round((f.rolling_receipt_units)::numeric / nullif(f.rolling_receipts, 0), $77))::text AS "rolling.mean.unitsPerReceipt",
           (round((f.rolling_revenue)::numeric / nullif(f.rolling_units, 0), $78))::text AS "rolling.mean.averageUnitPrice",
           (f.cumulative_units)::text AS "cumulative.units",
           (f.cumulative_revenue)::text AS "cumulative.revenue",
           (f.cumulative_transactions)::integer AS "cumulative.transactions",
           (f.cumulative_returned_units)::text AS "cumulative.returnedUnits",
           round(f.cumulative_returned_revenue, 2)::text AS "cumulative.returnedRevenue",
           round(CASE WHEN f.cumulative_uncosted_lines = 0 THEN f.cumulative_cost END, 2)::text AS "cumulative.cost",
           round(CASE WHEN f.cumulative_uncosted_lines = 0 THEN f.cumulative_revenue - f.cumulative_cost END, 2)::text AS "cumulative.grossMargin",
           (CASE WHEN f.cumulative_uncosted_lines = 0 THEN round((f.cumulative_revenue - f.cumulative_cost) / nullif(f.cumulative_revenue, 0), $79) END)::text AS "cumulative.marginRate",
           (f.cumulative_receipts)::integer AS "cumulative.receipts",
           (round((f.cumulative_receipt_revenue)::numeric / nullif(f.cumulative_receipts, 0), $80))::text AS "cumulative.averageReceiptValue",
           (round((f.cumulative_receipt_units)::numeric / nullif(f.cumulative_receipts, 0), $81))::text AS "cumulative.unitsPerReceipt",
           (round((f.cumulative_revenue)::numeric / nullif(f.cumulative_units, 0), $82))::text AS "cumulative.averageUnitPrice"
    FROM windowed f
    WHERE f.in_range AND f.present
    ORDER BY f.bucket, f.store_id
    LIMIT $83
-- parameters: ["Europe/London","2026-04-23T00:00:00.000Z","2026-05-01T05:00:00.000Z","<uuid>","2026-04-23T00:00:00.000Z","2026-05-01T05:00:00.000Z","2026-04-23T00:00:00.000Z","<uuid>","2026-05-01T05:00:00.000Z","2026-05-01T05:30:00.000Z","<uuid>","2026-05-01T05:30:00.000Z","2026-05-01T06:00:00.000Z","<uuid>","2026-05-01T06:00:00.000Z","2026-05-15T00:00:00.000Z","<uuid>","2026-05-01T06:00:00.000Z","2026-05-15T00:00:00.000Z","2026-05-01T06:00:00.000Z","<uuid>","Europe/London","day","Europe/London","Europe/London","2026-05-01T05:30:00.000Z","day","Europe/London","Europe/London","day","2026-05-01T05:30:00.000Z","Europe/London","Europe/London","day","2026-04-23T00:00:00.000Z","2026-05-15T00:00:00.000Z","1 day","day","2026-05-01T05:30:00.000Z",6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,6,7,6,7,6,7,6,7,6,7,6,7,6,7,6,6,7,6,6,6,6,6,6,6,6,10001]
