-- Entries still in the ledger are dropped with it: the maintenance loop's full refresh (embedded,
-- plain PostgreSQL) or the TimescaleDB refresh policy covers their recent share.
DROP TABLE IF EXISTS stale_rollup_ranges;
