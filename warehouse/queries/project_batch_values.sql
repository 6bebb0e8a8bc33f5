-- What one accepted project sheet holds, shaped as the receipt lists a submission's values, with the figures the
-- department stood by before it (the previous accepted file of the same department and period).
WITH this AS (
    SELECT * FROM raw.project_reports WHERE batch_id = $batch_id
),
earlier AS (
    SELECT s.project_code, arg_max(s.progress_pct, s.received_at) AS progress_pct,
           arg_max(s.invest_month_wan, s.received_at) AS invest_month_wan,
           arg_max(s.invest_to_date_wan, s.received_at) AS invest_to_date_wan,
           arg_max(s.file_name, s.received_at) AS previous_file
    FROM raw.project_reports AS s
    JOIN (SELECT DISTINCT department_code, period, min(received_at) AS at FROM this GROUP BY ALL) AS t
      ON s.department_code = t.department_code AND s.period = t.period AND s.received_at < t.at
    WHERE s.batch_id <> $batch_id
    GROUP BY s.project_code
)
SELECT this.project_code AS indicator_code, p.name_zh,
       CASE WHEN this.progress_pct IS NULL THEN NULL
            ELSE format('形象进度 {}%，本月投资 {} 万元，累计 {} 万元', this.progress_pct, this.invest_month_wan,
                        this.invest_to_date_wan) END AS value,
       '' AS unit, '项目月调度' AS sheet, 'G' || this.source_line || ':O' || this.source_line AS cell,
       CASE WHEN earlier.project_code IS NULL THEN NULL
            ELSE format('形象进度 {}%，本月投资 {} 万元，累计 {} 万元', earlier.progress_pct, earlier.invest_month_wan,
                        earlier.invest_to_date_wan) END AS previous_value,
       earlier.previous_file
FROM this
LEFT JOIN catalogue.projects AS p USING (project_code)
LEFT JOIN earlier USING (project_code)
ORDER BY this.source_line;
