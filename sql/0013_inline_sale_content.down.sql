CREATE OR REPLACE FUNCTION app.sale_content(store_id uuid, product_id uuid, quantity integer, unit_price numeric)
RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT md5(concat_ws('|', store_id, product_id, quantity, unit_price::numeric(12, 2)))::uuid
$$;
