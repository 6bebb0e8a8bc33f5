-- Every finding of a review's batches (the steward's check report), errors first, by file and line; capped by
-- $limit (the report says how many more there are).
SELECT q.file_name, q.source_line, q.column_name, q.value_text, q.rule, q.severity, q.reason, l.record
FROM quarantine.row_issues AS q
LEFT JOIN quarantine.source_lines AS l ON l.batch_id = q.batch_id AND l.source_line = q.source_line
WHERE list_contains($batch_ids, q.batch_id)
ORDER BY q.severity, q.file_name, q.source_line NULLS FIRST, q.column_name
LIMIT $limit;
