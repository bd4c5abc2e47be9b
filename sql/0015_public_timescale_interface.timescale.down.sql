-- The definitions of 0015 stay: they behave as the ones they replaced, and those read
-- TimescaleDB's internal catalog, which current releases no longer match. 0004's down removes
-- them with the archive.
SELECT 1;
