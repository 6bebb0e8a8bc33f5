-- Validation reports (Data Docs pages) of the deliveries that make up each source and period now: the latest
-- attempt of every file (every batch for sources that keep them all: $batch_keyed).
WITH latest_file AS (
    SELECT arg_max(attempt_id, fetched_at) AS attempt_id
    FROM meta.batches
    WHERE ($period IS NULL OR period = $period)
    GROUP BY source, period,
             CASE WHEN list_contains($batch_keyed, source) THEN coalesce(batch_id, attempt_id) ELSE file_name END
)
SELECT b.period, b.file_name, b.report_path
FROM meta.batches AS b JOIN latest_file USING (attempt_id)
WHERE b.report_path IS NOT NULL
ORDER BY b.period DESC, b.file_name;
