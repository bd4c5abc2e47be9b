REVOKE UPDATE (time_zone) ON customers FROM shelfops_gateway;
-- step
ALTER TABLE customers DROP COLUMN IF EXISTS time_zone;
