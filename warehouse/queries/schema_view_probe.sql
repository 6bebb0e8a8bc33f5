-- Whether a model's view is there and binds, without reading a row (listing the catalogue, duckdb_views(), cost a
-- new connection ~12 ms; binding the models' seven views ~3 ms).
(SELECT NULL FROM {view} LIMIT 0)
