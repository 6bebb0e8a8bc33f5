-- A submission's findings with the indicator each names ($batch_id): the indicator whose code appears in the line as
-- delivered (the longest code that does, so a code that prefixes another is not taken for it), with its name, unit
-- and allowed range — what a rejection needs to say the rule in words.
SELECT q.severity, q.rule, q.reason, q.column_name, q.value_text, q.source_line, l.record,
       (SELECT arg_max(i.indicator_code, length(i.indicator_code)) FROM catalogue.indicators AS i
        WHERE l.record IS NOT NULL AND contains(l.record, i.indicator_code)) AS indicator_code
FROM quarantine.row_issues AS q
LEFT JOIN quarantine.source_lines AS l ON l.batch_id = q.batch_id AND l.source_line = q.source_line
WHERE q.batch_id = $batch_id
ORDER BY q.severity, q.source_line NULLS FIRST, q.column_name;
