-- The run's staged rows into the raw table: those that pass, or every row with accept_all ($all).
INSERT INTO {raw} SELECT * EXCLUDE (review_run, failed) FROM {staged} WHERE review_run = $run_id AND (NOT failed OR $all)
