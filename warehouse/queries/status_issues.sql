-- Row findings of the batches of the latest run of each source and period, by rule.
WITH latest AS (
    SELECT source, period, arg_max(run_id, started_at) AS run_id
    FROM meta.runs
    WHERE ($period IS NULL OR period = $period)
    GROUP BY source, period
),
batches AS (
    SELECT DISTINCT b.source, b.period, b.batch_id
    FROM meta.batches AS b JOIN latest AS l ON l.run_id = b.run_id
    WHERE b.batch_id IS NOT NULL
)
SELECT q.source, q.period, q.rule, q.severity, any_value(q.reason) AS reason, count(*) AS rows,
       min(q.file_name || ':' || coalesce(CAST(q.source_line AS TEXT), '-') || ' ' || coalesce(q.column_name, ''))
           AS first_example
FROM quarantine.row_issues AS q
JOIN batches AS b ON b.batch_id = q.batch_id
GROUP BY ALL
ORDER BY q.period DESC, q.source, q.severity, rows DESC;
