DROP FUNCTION app.archived_sales, app.archived_snapshots;
DROP VIEW sale_lines, inventory_snapshots, archive_horizons, sales_hourly_archived,
  sales_daily_archived;
