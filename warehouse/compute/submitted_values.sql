-- The values departments currently stand by for $period, with where each came from.
SELECT c.indicator_code, d.region_code, c.period, c.value, c.unit, c.department_code, d.name_zh AS department_name,
       c.file_name, c.sheet, c.cell, c.received_at, c.batch_id
FROM staging.stg_submissions__current AS c
JOIN catalogue.departments AS d USING (department_code)
WHERE c.period = $period AND c.value IS NOT NULL
ORDER BY d.region_code, c.indicator_code;
