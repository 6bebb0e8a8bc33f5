-- The migrations the warehouse has had, in order (what a backup records and a restore compares).
SELECT version FROM main.schema_migrations ORDER BY 1
