-- Every text column of every table (not views): where a path into the old ECOFLOW_HOME may be stored.
SELECT c.table_schema, c.table_name, c.column_name
FROM information_schema.columns AS c
JOIN information_schema.tables AS t USING (table_catalog, table_schema, table_name)
WHERE t.table_type = 'BASE TABLE' AND c.data_type = 'VARCHAR'
ORDER BY 1, 2, 3;
