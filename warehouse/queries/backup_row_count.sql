-- One table's rows ({table}: a table that exists, quoted by core.warehouse.table_name).
SELECT count(*) FROM {table}
