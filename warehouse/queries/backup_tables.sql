-- Every table of the warehouse (a backup counts each one's rows; views are remade by every writer).
SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' ORDER BY 1, 2
