-- Latest run per source and period, and what its files became.
WITH latest AS (
    SELECT source, period, arg_max(run_id, started_at) AS run_id, max(started_at) AS started_at
    FROM meta.runs
    WHERE ($period IS NULL OR period = $period)
    GROUP BY source, period
)
SELECT
    l.source, l.period, l.run_id, r.status AS run_status, r.started_at, r.message,
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
FROM latest AS l
JOIN meta.runs AS r ON r.run_id = l.run_id
LEFT JOIN meta.batches AS b ON b.run_id = l.run_id
GROUP BY ALL
ORDER BY l.period DESC, l.source;
