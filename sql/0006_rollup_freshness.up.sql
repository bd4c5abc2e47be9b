-- The rollup freshness ledger: what a write made stale (tenant, time range), recorded in the
-- write's own transaction, so a refresh that fails after the commit (or a process killed
-- before it) is retried after the commit, by the maintenance loop and at start, until done.
-- The gateway may only add and see entries of its own tenant; the owner drains them.
CREATE TABLE IF NOT EXISTS stale_rollup_ranges (
  customer_id uuid        NOT NULL,
  id          uuid        NOT NULL,
  range_start timestamptz NOT NULL,
  range_end   timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (customer_id, id),
  CONSTRAINT stale_rollup_ranges_ordered CHECK (range_start < range_end)
);

ALTER TABLE stale_rollup_ranges ENABLE ROW LEVEL SECURITY;
ALTER TABLE stale_rollup_ranges FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS tenant_isolation ON stale_rollup_ranges;
CREATE POLICY tenant_isolation ON stale_rollup_ranges FOR SELECT
  USING (customer_id = (SELECT app.current_customer_id()));
DROP POLICY IF EXISTS tenant_mark_stale ON stale_rollup_ranges;
CREATE POLICY tenant_mark_stale ON stale_rollup_ranges FOR INSERT
  WITH CHECK (customer_id = (SELECT app.current_customer_id()));

REVOKE ALL ON stale_rollup_ranges FROM PUBLIC;
GRANT SELECT, INSERT ON stale_rollup_ranges TO shelfops_gateway;
