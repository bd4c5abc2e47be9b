DROP TABLE IF EXISTS anomalies, alerts, reorder_points, forecasts, inventory_levels,
  transactions, products, stores, customers;
DROP FUNCTION IF EXISTS app.viewer_role(), app.store_scope(), app.current_customer_id();
DROP SCHEMA IF EXISTS app;
