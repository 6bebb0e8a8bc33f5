-- A sample of the review's error findings with the file, line and the line as delivered.
SELECT q.file_name, q.source_line, q.column_name, q.value_text, q.rule, q.reason, l.record
FROM quarantine.row_issues AS q
LEFT JOIN quarantine.source_lines AS l ON l.batch_id = q.batch_id AND l.source_line = q.source_line
WHERE list_contains($batch_ids, q.batch_id) AND q.severity = 'error'
ORDER BY q.file_name, q.source_line NULLS FIRST, q.column_name
LIMIT $limit;
