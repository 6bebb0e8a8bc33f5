-- A batch validated again replaces its findings and the source lines they quote.
DELETE FROM quarantine.row_issues WHERE batch_id = $batch_id;
DELETE FROM quarantine.source_lines WHERE batch_id = $batch_id;
