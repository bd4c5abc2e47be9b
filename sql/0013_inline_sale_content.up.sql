-- The fingerprint of a sale line's content, as 0008 defined it, written so that PostgreSQL
-- inlines it into the statements that call it once per line (recordSales and the import store
-- 5 000 lines a statement). concat_ws is only STABLE, so an IMMUTABLE function built on it
-- cannot be inlined and costs a function call per line; text casts and || are IMMUTABLE.
-- For the arguments it is given (NOT NULL columns and non-null batch values) the text hashed,
-- and so every stored fingerprint, stays the same.
CREATE OR REPLACE FUNCTION app.sale_content(store_id uuid, product_id uuid, quantity integer, unit_price numeric)
RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT md5(store_id::text || '|' || product_id::text || '|' || quantity::text || '|'
             || unit_price::numeric(12, 2)::text)::uuid
$$;
