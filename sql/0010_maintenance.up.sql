-- The gateway's own maintenance (rollup refresh, archive, compression, retention): when each
-- task last succeeded or failed, kept in the database so every replica reports the same and
-- the one that holds the maintenance lock can be any of them. No tenant data; the gateway's
-- role has no access.
CREATE TABLE app.maintenance_runs (
  task                 text PRIMARY KEY CHECK (task IN ('refresh', 'archive', 'compress', 'retention')),
  last_success_at      timestamptz,
  last_failure_at      timestamptz,
  last_error           text,
  consecutive_failures integer NOT NULL DEFAULT 0,
  last_duration_ms     integer
);
REVOKE ALL ON app.maintenance_runs FROM PUBLIC;
