-- The archive's compression through TimescaleDB's public interface only (timescaledb_information
-- views), for databases migrated when archive.compress() read TimescaleDB's internal catalog,
-- whose columns change between releases (`_timescaledb_catalog.chunk.dropped` is gone in 2.28).
-- A rows-in-the-chunk's-own-table test stands in for the catalog's "partially compressed" flag.
CREATE OR REPLACE FUNCTION archive.has_heap_rows(chunk regclass) RETURNS boolean
LANGUAGE plpgsql STABLE
-- Rows written into a compressed chunk wait in the chunk's own table, which a scan without
-- transparent decompression reads alone.
SET timescaledb.enable_transparent_decompression = off AS $$
DECLARE
  found boolean;
BEGIN
  EXECUTE format('SELECT EXISTS (SELECT FROM ONLY %s)', chunk) INTO found;
  RETURN found;
END
$$;

CREATE OR REPLACE FUNCTION archive.compress() RETURNS integer LANGUAGE sql AS $$
  SELECT count(compress_chunk(c.chunk))::integer
  FROM (
    SELECT format('%I.%I', c.chunk_schema, c.chunk_name)::regclass AS chunk, c.is_compressed
    FROM timescaledb_information.chunks c
    JOIN timescaledb_information.hypertables h USING (hypertable_schema, hypertable_name)
    WHERE c.hypertable_schema = 'archive' AND h.compression_enabled
  ) c
  WHERE NOT c.is_compressed OR archive.has_heap_rows(c.chunk)
$$;
