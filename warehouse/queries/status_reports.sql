-- Validation reports (Data Docs pages) of the latest run of a source and period.
WITH latest AS (
    SELECT source, period, arg_max(run_id, started_at) AS run_id
    FROM meta.runs WHERE ($period IS NULL OR period = $period) GROUP BY source, period
)
SELECT b.period, b.file_name, b.report_path
FROM meta.batches AS b JOIN latest AS l ON l.run_id = b.run_id
WHERE b.report_path IS NOT NULL
ORDER BY b.period DESC, b.file_name;
