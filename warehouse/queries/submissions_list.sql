-- Submitted values of $period: current ones, or with $history every accepted file's value in arrival order.
SELECT s.department_code, d.name_zh AS department_name, s.indicator_code, i.name_zh, s.value, i.unit, s.file_name,
       s.sheet, s.cell, s.received_at, s.batch_id,
       s.batch_id IN (SELECT batch_id FROM staging.stg_submissions__current) AS current
FROM raw.submission_values AS s
LEFT JOIN catalogue.departments AS d USING (department_code)
LEFT JOIN catalogue.indicators AS i USING (indicator_code)
WHERE s.period = $period AND ($history OR s.batch_id IN (SELECT batch_id FROM staging.stg_submissions__current))
ORDER BY s.department_code, s.indicator_code, s.received_at;
