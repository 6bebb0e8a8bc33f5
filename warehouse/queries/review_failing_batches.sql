-- The review's batches with rows failing error rules (what `ecoflow review fix` corrects), with how many.
SELECT batch_id, file_name, count(*) AS findings
FROM quarantine.row_issues
WHERE list_contains($batch_ids, batch_id) AND severity = 'error'
GROUP BY batch_id, file_name
ORDER BY file_name;
