DROP FUNCTION gateway.latest_snapshot(uuid, uuid);
