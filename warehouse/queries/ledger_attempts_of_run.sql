-- Every file of a run, for the landing step.
SELECT attempt_id, batch_id, file_name, status, archive_path, url, http_status
FROM meta.batches WHERE run_id = $run_id ORDER BY file_name;
