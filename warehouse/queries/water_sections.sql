-- Each section's month: means per parameter, reading counts and class ($province NULL = every province).
SELECT m.section_code, m.section_name, m.province, m.basin, s.river, s.region_code, m.water_body, m.period,
       m.parameter_means, m.parameter_classes, m.readings, m.readings_all, m.water_class, m.worst_parameters,
       m.rules_version, m.water_body_source, m.platform_classes, m.class_disagreements
FROM marts.water_section_month AS m
LEFT JOIN catalogue.water_sections AS s USING (section_code)
WHERE m.period = $period AND ($province IS NULL OR m.province = $province)
ORDER BY m.province, m.basin, m.section_name;
