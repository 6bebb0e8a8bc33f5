-- Per source and period: the latest run, and the latest attempt of every file of the period. A monthly feed's run
-- fetches every file again; a captured feed (one file per poll) and the inbox (one file per delivery) add files
-- run by run, so the period's state is the latest attempt per file, not the latest run's files only. For sources
-- that keep every batch ($batch_keyed: the inbox), a delivery is a batch — two departments' 月调度.xlsx are two.
WITH latest_run AS (
    SELECT source, period, arg_max(run_id, started_at) AS run_id, count(*) AS runs
    FROM meta.runs
    WHERE ($period IS NULL OR period = $period)
    GROUP BY source, period
),
latest_file AS (
    SELECT source, period, arg_max(attempt_id, fetched_at) AS attempt_id
    FROM meta.batches
    WHERE ($period IS NULL OR period = $period)
    GROUP BY source, period,
             CASE WHEN list_contains($batch_keyed, source) THEN coalesce(batch_id, attempt_id) ELSE file_name END
)
SELECT
    l.source, l.period, l.run_id, l.runs, r.status AS run_status, r.started_at, r.message,
    count(b.attempt_id) AS files,
    count(*) FILTER (WHERE b.status = 'landed') AS landed,
    count(*) FILTER (WHERE b.status = 'missing') AS missing,
    count(*) FILTER (WHERE b.status IN ('failed', 'rejected')) AS failed,
    coalesce(sum(b.rows_landed), 0) AS rows_landed,
    coalesce(sum(b.rows_rejected), 0) AS rows_rejected,
    coalesce(sum(b.rows_warned), 0) AS rows_warned,
    list(b.file_name ORDER BY b.file_name) FILTER (WHERE b.status = 'missing') AS missing_files,
    list(b.file_name || ': ' || coalesce(b.message, b.status) ORDER BY b.file_name)
        FILTER (WHERE b.status IN ('failed', 'rejected')) AS failed_files
FROM latest_run AS l
JOIN meta.runs AS r ON r.run_id = l.run_id
LEFT JOIN latest_file AS f ON f.source = l.source AND f.period = l.period
LEFT JOIN meta.batches AS b ON b.attempt_id = f.attempt_id
GROUP BY ALL
ORDER BY l.period DESC, l.source;
