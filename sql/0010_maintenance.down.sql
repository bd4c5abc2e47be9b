DROP TABLE app.maintenance_runs;
