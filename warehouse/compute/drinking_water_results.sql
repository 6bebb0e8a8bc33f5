-- The drinking-water source sheets that stand for each department and month from $first to $period (the latest
-- accepted file of a department and month: a corrected sheet replaces the earlier one whole), every filled cell,
-- with the region the department reports for.
WITH current_sheet AS (
    SELECT department_code, period, arg_max(batch_id, received_at) AS batch_id
    FROM raw.drinking_water_results
    WHERE period BETWEEN $first AND $period
    GROUP BY ALL
)
SELECT d.region_code, r.department_code, d.name_zh AS department_name, r.period, r.batch_id, r.file_name,
       r.received_at, r.source_line, r.source_code, r.item, r.value, r.value_text, r.below_detection,
       r.detection_limit
FROM raw.drinking_water_results AS r
JOIN current_sheet AS c USING (department_code, period, batch_id)
JOIN catalogue.departments AS d USING (department_code)
ORDER BY d.region_code, r.period, r.source_code, r.source_line;
