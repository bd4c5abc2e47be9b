DROP FUNCTION IF EXISTS app.newest_sale_line();
REVOKE UPDATE (week_start, retail_calendar, fiscal_year_end) ON customers FROM shelfops_gateway;
ALTER TABLE customers DROP CONSTRAINT IF EXISTS customers_retail_calendar_whole;
ALTER TABLE customers DROP COLUMN IF EXISTS fiscal_year_end;
ALTER TABLE customers DROP COLUMN IF EXISTS retail_calendar;
ALTER TABLE customers DROP COLUMN IF EXISTS week_start;
