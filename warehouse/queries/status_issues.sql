-- Row findings of the batches that make up each source and period now (the latest attempt of every file, or every
-- batch for sources that keep them all: $batch_keyed), by rule.
WITH latest_file AS (
    SELECT source, period, arg_max(batch_id, fetched_at) AS batch_id
    FROM meta.batches
    WHERE ($period IS NULL OR period = $period) AND batch_id IS NOT NULL
    GROUP BY source, period, CASE WHEN list_contains($batch_keyed, source) THEN batch_id ELSE file_name END
)
SELECT q.source, q.period, q.rule, q.severity, any_value(q.reason) AS reason, count(*) AS rows,
       min(q.file_name || ':' || coalesce(CAST(q.source_line AS TEXT), '-') || ' ' || coalesce(q.column_name, ''))
           AS first_example
FROM quarantine.row_issues AS q
JOIN latest_file AS b ON b.batch_id = q.batch_id
GROUP BY ALL
ORDER BY q.period DESC, q.source, q.severity, rows DESC;
