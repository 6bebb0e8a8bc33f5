-- Every file of a run with what its validation counted, for landing a decision.
SELECT attempt_id, batch_id, file_name, status, archive_path, rows_in, rows_landed, rows_rejected, rows_warned,
       report_path
FROM meta.batches WHERE run_id = $run_id ORDER BY file_name;
