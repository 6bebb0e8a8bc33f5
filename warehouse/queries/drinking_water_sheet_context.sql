-- The sources a department's 水源地水质月报 may hold ($department, $year): those listed for its region and in force in
-- the year, with what a row is checked against (kind, water body, the items left out as natural background).
SELECT s.source_code, s.name_zh, s.source_kind, s.water_body, s.background_items
FROM catalogue.drinking_water_sources AS s
JOIN catalogue.departments AS d ON d.region_code = s.region_code
WHERE d.department_code = $department AND s.from_year <= $year AND (s.to_year IS NULL OR s.to_year >= $year)
ORDER BY s.source_code;
