-- What a decision would land of a run, per file: the passing rows, or every row with accept_all ($all).
SELECT file_name, count(*) FROM {staged} WHERE review_run = $run_id AND (NOT failed OR $all) GROUP BY file_name
