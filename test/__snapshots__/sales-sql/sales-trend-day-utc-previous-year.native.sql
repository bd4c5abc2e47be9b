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
    ), cparts AS (
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
      WHERE x.time >= $23::timestamptz AND x.time < $24::timestamptz
      AND x.customer_id = $25::uuid
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
      WHERE r.bucket >= $26::timestamptz AND r.bucket < $27::timestamptz
      AND r.customer_id = $28::uuid
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
      WHERE r.bucket >= $29::timestamptz AND r.bucket < $30::timestamptz
      AND (SELECT h.boundary FROM archive_horizons h WHERE h.relation = 'transactions') > $31::timestamptz
      AND r.customer_id = $32::uuid
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
      WHERE r.bucket >= $33::timestamptz AND r.bucket < $34::timestamptz
      AND r.customer_id = $35::uuid
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
      WHERE r.bucket >= $36::timestamptz AND r.bucket < $37::timestamptz
      AND (SELECT h.boundary FROM archive_horizons h WHERE h.relation = 'transactions') > $38::timestamptz
      AND r.customer_id = $39::uuid
    ), cagg AS (
      SELECT $40::text AS zone,
             (date_trunc($41::text, (((p.t) AT TIME ZONE $42::text) + ($43::integer * interval '1 year' + $44::bigint * interval '1 millisecond')) AT TIME ZONE $45::text AT TIME ZONE $46::text) AT TIME ZONE $47::text) AS bucket,
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
      FROM cparts p
      GROUP BY 1, 2, 3, 4, 5
    ), paired AS (
      SELECT coalesce(a.zone, ca.zone) AS zone, coalesce(a.bucket, ca.bucket) AS bucket,
             coalesce(a.store_id, ca.store_id) AS store_id,
             NULL::uuid AS product_id,
             NULL::text AS category,
             a.units AS units,
             a.revenue AS revenue,
             a.transactions AS transactions,
             a.returned_units AS returned_units,
             a.returned_revenue AS returned_revenue,
             a.cost AS cost,
             a.uncosted_lines AS uncosted_lines,
             a.receipts AS receipts,
             a.product_receipts AS product_receipts,
             a.receipt_units AS receipt_units,
             a.receipt_revenue AS receipt_revenue,
             ca.units AS c_units,
             ca.revenue AS c_revenue,
             ca.transactions AS c_transactions,
             ca.returned_units AS c_returned_units,
             ca.returned_revenue AS c_returned_revenue,
             ca.cost AS c_cost,
             ca.uncosted_lines AS c_uncosted_lines,
             ca.receipts AS c_receipts,
             ca.product_receipts AS c_product_receipts,
             ca.receipt_units AS c_receipt_units,
             ca.receipt_revenue AS c_receipt_revenue
      FROM agg a
      FULL JOIN cagg ca ON ca.zone = a.zone AND ca.bucket = a.bucket
        AND ca.store_id = a.store_id
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
           (CASE WHEN coalesce(k.uncosted_lines, 0) = 0 THEN round((coalesce(k.revenue, 0.00) - coalesce(k.cost, 0)) / nullif(coalesce(k.revenue, 0.00), 0), $48) END)::text AS "marginRate",
           (coalesce(k.receipts, 0))::integer AS "receipts",
           (round((coalesce(k.receipt_revenue, 0))::numeric / nullif(coalesce(k.receipts, 0), 0), $49))::text AS "averageReceiptValue",
           (round((coalesce(k.receipt_units, 0))::numeric / nullif(coalesce(k.receipts, 0), 0), $50))::text AS "unitsPerReceipt",
           (round((coalesce(k.revenue, 0.00))::numeric / nullif(coalesce(k.units, 0), 0), $51))::text AS "averageUnitPrice",
           (coalesce(k.c_units, 0))::text AS "compared.units",
           (coalesce(k.c_revenue, 0.00))::text AS "compared.revenue",
           (coalesce(k.c_transactions, 0))::integer AS "compared.transactions",
           (coalesce(k.c_returned_units, 0))::text AS "compared.returnedUnits",
           round(coalesce(k.c_returned_revenue, 0), 2)::text AS "compared.returnedRevenue",
           round(CASE WHEN coalesce(k.c_uncosted_lines, 0) = 0 THEN coalesce(k.c_cost, 0) END, 2)::text AS "compared.cost",
           round(CASE WHEN coalesce(k.c_uncosted_lines, 0) = 0 THEN coalesce(k.c_revenue, 0.00) - coalesce(k.c_cost, 0) END, 2)::text AS "compared.grossMargin",
           (CASE WHEN coalesce(k.c_uncosted_lines, 0) = 0 THEN round((coalesce(k.c_revenue, 0.00) - coalesce(k.c_cost, 0)) / nullif(coalesce(k.c_revenue, 0.00), 0), $52) END)::text AS "compared.marginRate",
           (coalesce(k.c_receipts, 0))::integer AS "compared.receipts",
           (round((coalesce(k.c_receipt_revenue, 0))::numeric / nullif(coalesce(k.c_receipts, 0), 0), $53))::text AS "compared.averageReceiptValue",
           (round((coalesce(k.c_receipt_units, 0))::numeric / nullif(coalesce(k.c_receipts, 0), 0), $54))::text AS "compared.unitsPerReceipt",
           (round((coalesce(k.c_revenue, 0.00))::numeric / nullif(coalesce(k.c_units, 0), 0), $55))::text AS "compared.averageUnitPrice",
           greatest(k.bucket, $56::timestamptz)
             >= ((($57::timestamptz) AT TIME ZONE $58::text) + ($59::integer * interval '1 year' + $60::bigint * interval '1 millisecond')) AT TIME ZONE $61::text AS "compared.covered"
    FROM keys k
    WHERE k.bucket >= (date_trunc($62::text, $63::timestamptz AT TIME ZONE k.zone) AT TIME ZONE k.zone) AND k.bucket < $64::timestamptz
    ORDER BY k.bucket, k.store_id
    LIMIT $65
-- parameters: ["UTC","2026-05-01T05:30:00.000Z","2026-05-01T06:00:00.000Z","<uuid>","2026-05-01T06:00:00.000Z","2026-05-02T00:00:00.000Z","<uuid>","2026-05-01T06:00:00.000Z","2026-05-02T00:00:00.000Z","2026-05-01T06:00:00.000Z","<uuid>","2026-05-02T00:00:00.000Z","2026-05-15T00:00:00.000Z","<uuid>","2026-05-02T00:00:00.000Z","2026-05-15T00:00:00.000Z","2026-05-02T00:00:00.000Z","<uuid>","UTC","day","UTC","UTC","2025-05-01T05:30:00.000Z","2025-05-01T06:00:00.000Z","<uuid>","2025-05-01T06:00:00.000Z","2025-05-02T00:00:00.000Z","<uuid>","2025-05-01T06:00:00.000Z","2025-05-02T00:00:00.000Z","2025-05-01T06:00:00.000Z","<uuid>","2025-05-02T00:00:00.000Z","2025-05-15T00:00:00.000Z","<uuid>","2025-05-02T00:00:00.000Z","2025-05-15T00:00:00.000Z","2025-05-02T00:00:00.000Z","<uuid>","UTC","day","UTC",1,0,"UTC","UTC","UTC",6,6,6,6,6,6,6,6,"2026-05-01T05:30:00.000Z","2024-07-01T00:00:00.000Z","UTC",1,0,"UTC","day","2026-05-01T05:30:00.000Z","2026-05-15T00:00:00.000Z",10001]
