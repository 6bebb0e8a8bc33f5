-- A staged table in step with its raw table again, after a migration changed the raw table's columns (only while
-- it holds no rows of a pending review: staging.staged_table checks).
CREATE OR REPLACE TABLE {staged} AS SELECT *, ''::TEXT AS review_run, false AS failed FROM {raw} LIMIT 0
