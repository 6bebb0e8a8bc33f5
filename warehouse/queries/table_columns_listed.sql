-- A table's (or view's) columns in their order, from the catalogue's listing: empty when there is none of that name.
-- Used inside a transaction, where pragma_table_info's error on a missing name would abort it.
SELECT column_name FROM duckdb_columns()
WHERE schema_name = $schema AND table_name = $table
ORDER BY column_index
