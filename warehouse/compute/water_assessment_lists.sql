-- The assessment list (考核断面) of every region for $year.
SELECT a.region_code, a.section_code, s.province, s.basin, s.section_name
FROM catalogue.water_assessment AS a
JOIN catalogue.water_sections AS s USING (section_code)
WHERE a.from_year <= $year AND (a.to_year IS NULL OR a.to_year >= $year)
ORDER BY a.region_code, a.section_code;
