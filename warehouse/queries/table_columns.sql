-- A table's columns in their order (a staged table must keep its raw table's, plus review_run and failed).
SELECT column_name FROM information_schema.columns
WHERE table_schema = $schema AND table_name = $table
ORDER BY ordinal_position
