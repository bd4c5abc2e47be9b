DROP VIEW IF EXISTS rollup.sales_daily, rollup.sales_hourly;
DROP SCHEMA IF EXISTS rollup;
