-- 月报, surface water by section class ($period): the month's evaluated sections (marts.water_section_month) per
-- class 1..6 (6 = 劣Ⅴ类), and those that could not be evaluated (water_class NULL).
SELECT water_class, count(*) AS sections, list(section_name ORDER BY section_name) AS names
FROM marts.water_section_month
WHERE period = $period
GROUP BY water_class
ORDER BY water_class NULLS LAST;
