-- What one accepted submission file holds, with the value the department stood by before it (the previous
-- accepted file of the same department and period), so the receipt can show what changed.
WITH this AS (
    SELECT * FROM raw.submission_values WHERE batch_id = $batch_id
),
earlier AS (
    SELECT s.indicator_code, arg_max(s.value, s.received_at) AS previous_value,
           arg_max(s.file_name, s.received_at) AS previous_file
    FROM raw.submission_values AS s
    JOIN (SELECT DISTINCT department_code, period, min(received_at) AS at FROM this GROUP BY ALL) AS t
      ON s.department_code = t.department_code AND s.period = t.period AND s.received_at < t.at
    WHERE s.batch_id <> $batch_id
    GROUP BY s.indicator_code
)
SELECT this.indicator_code, i.name_zh, i.frequency, this.value, coalesce(i.unit, this.unit) AS unit, this.sheet, this.cell,
       earlier.previous_value, earlier.previous_file
FROM this
LEFT JOIN catalogue.indicators AS i USING (indicator_code)
LEFT JOIN earlier USING (indicator_code)
ORDER BY this.source_line;
