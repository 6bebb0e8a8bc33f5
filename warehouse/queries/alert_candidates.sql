-- Year-to-date values of the period measured against the numeric targets of the period's year (an assigned target
-- once its value is configured), with routing.
SELECT
    v.indicator_code, v.region_code, v.period, v.variant, v.value, v.valid_days, v.calendar_days,
    v.coverage_unit, v.coverage_valid, v.coverage_expected,
    v.coverage_ok, v.rules_version, len(v.batch_ids) AS batch_count,
    t.comparator, coalesce(a.target_value, t.target_value) AS target_value, t.source AS target_source,
    i.name_zh AS indicator_name, i.unit, i.direction, i.evaluation_digits,
    r.name_zh AS region_name,
    d.name_zh AS department_name, d.email AS department_email
FROM marts.indicator_values AS v
JOIN catalogue.targets AS t
  ON t.region_code = v.region_code AND t.indicator_code = v.indicator_code
 AND t.year = CAST(left(v.period, 4) AS INTEGER) AND t.variant = v.variant
LEFT JOIN catalogue.assigned_targets AS a
  ON a.region_code = t.region_code AND a.indicator_code = t.indicator_code AND a.year = t.year
 AND t.target_kind = 'assigned'
JOIN catalogue.indicators AS i ON i.indicator_code = v.indicator_code
JOIN catalogue.regions AS r ON r.region_code = v.region_code
LEFT JOIN staging.int_region_departments AS d ON d.region_code = v.region_code AND d.role = i.lead_department
WHERE v.period = $period AND v.period_type = 'ytd'
  AND t.target_kind IN ('value', 'assigned') AND coalesce(a.target_value, t.target_value) IS NOT NULL
ORDER BY v.region_code, v.indicator_code;
