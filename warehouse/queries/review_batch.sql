-- A landed or reviewed batch with how many of its rows are in quarantine (error findings), latest attempt first.
SELECT b.batch_id, b.source, b.period, b.file_name, b.run_id, b.status,
       (SELECT count(*) FROM quarantine.row_issues AS q WHERE q.batch_id = b.batch_id AND q.severity = 'error')
           AS quarantined
FROM meta.batches AS b
WHERE b.batch_id = $batch_id
ORDER BY b.fetched_at DESC NULLS LAST
LIMIT 1;
