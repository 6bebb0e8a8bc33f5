-- The sources each department reports on its 水源地水质月报 for $year: those listed for its region and in force that
-- year, for the department whose role leads $indicator there (the environment bureau), in catalogue order.
SELECT d.department_code, d.name_zh AS department_name, d.region_code, s.source_code, s.name_zh, s.source_kind,
       s.water_body, s.background_items
FROM catalogue.drinking_water_sources AS s
JOIN catalogue.indicators AS i ON i.indicator_code = $indicator
JOIN catalogue.departments AS d ON d.region_code = s.region_code AND d.role = i.lead_department
WHERE s.from_year <= $year AND (s.to_year IS NULL OR s.to_year >= $year)
ORDER BY d.department_code, s.source_code;
