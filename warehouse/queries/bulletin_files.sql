-- Monthly bulletin, data coverage: the latest attempt of every file of $period, per source (the same files
-- `ecoflow status` counts: a monthly feed's file by name; for $batch_keyed sources every batch), with its outcome.
WITH latest_file AS (
    SELECT source, period, arg_max(attempt_id, fetched_at) AS attempt_id
    FROM meta.batches
    WHERE period = $period
    GROUP BY source, period,
             CASE WHEN list_contains($batch_keyed, source) THEN coalesce(batch_id, attempt_id) ELSE file_name END
)
SELECT b.source, b.file_name, b.status, b.http_status, b.rows_in, b.rows_landed, b.rows_rejected, b.rows_warned,
       b.message, b.fetched_at, b.batch_id
FROM latest_file AS f
JOIN meta.batches AS b ON b.attempt_id = f.attempt_id
ORDER BY b.source, b.file_name;
