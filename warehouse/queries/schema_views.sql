-- The views in the warehouse, schema and name (read only when the models' probe fails: listing the catalogue costs a
-- new connection ~12 ms).
SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal
