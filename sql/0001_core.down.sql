-- One table per statement: TimescaleDB refuses to drop a hypertable along with other objects.
DROP TABLE IF EXISTS anomalies;
DROP TABLE IF EXISTS alerts;
DROP TABLE IF EXISTS reorder_points;
DROP TABLE IF EXISTS forecasts;
DROP TABLE IF EXISTS inventory_levels;
DROP TABLE IF EXISTS transactions;
DROP TABLE IF EXISTS products;
DROP TABLE IF EXISTS stores;
DROP TABLE IF EXISTS customers;
DROP FUNCTION IF EXISTS app.viewer_role(), app.store_scope(), app.current_customer_id();
DROP SCHEMA IF EXISTS app;
