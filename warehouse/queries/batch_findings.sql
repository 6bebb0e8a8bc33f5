-- A batch's findings (quarantine), cell by cell, errors first.
SELECT q.severity, q.rule, q.reason, q.column_name, q.value_text, q.source_line, l.record
FROM quarantine.row_issues AS q
LEFT JOIN quarantine.source_lines AS l ON l.batch_id = q.batch_id AND l.source_line = q.source_line
WHERE q.batch_id = $batch_id
ORDER BY q.severity, q.source_line NULLS FIRST, q.column_name;
