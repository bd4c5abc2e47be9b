/* velocityForPairs */
    SELECT k.store_id AS "storeId", k.product_id AS "productId",
           round(coalesce(sum(d.units), 0)::numeric / $1::integer, $2::integer)::text
             AS "unitsPerDay"
    FROM unnest($3::uuid[], $4::uuid[]) AS k(store_id, product_id)
    LEFT JOIN (SELECT x.store_id, x.product_id,
             date_trunc('day', x.time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS bucket,
             sum(x.quantity)::bigint AS units, sum(x.revenue) AS revenue,
             coalesce(sum(-x.quantity) FILTER (WHERE x.quantity < 0), 0)::bigint AS returned_units,
             coalesce(sum(-x.revenue) FILTER (WHERE x.quantity < 0), 0) AS returned_revenue
      FROM sale_lines x
      WHERE x.time >= $5::timestamptz AND x.time < $6::timestamptz
      AND x.store_id = ANY($7::uuid[])
      AND x.product_id = ANY($8::uuid[])
      GROUP BY 1, 2, 3) d
      ON d.store_id = k.store_id AND d.product_id = k.product_id
    GROUP BY k.store_id, k.product_id
-- parameters: [7,6,["<uuid>"],["<uuid>"],"2026-05-14T00:00:00.000Z","2026-05-21T00:00:00.000Z",["<uuid>"],["<uuid>"]]
