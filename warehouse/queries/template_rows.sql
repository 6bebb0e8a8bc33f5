-- What each department's template lists for $period: the submitted indicators it leads, with the target of
-- the period's year and the latest value it submitted before the period. $department NULL = every department.
SELECT d.department_code, d.name_zh AS department_name, d.region_code, r.name_zh AS region_name, d.email,
       i.indicator_code, i.national_no, i.name_zh, i.unit, i.min_value, i.max_value,
       t.comparator, t.target_value,
       last.value AS last_value, last.period AS last_period
FROM catalogue.departments AS d
JOIN catalogue.regions AS r USING (region_code)
JOIN catalogue.indicators AS i ON i.lead_department = d.role AND i.obtained_by = 'submitted'
LEFT JOIN catalogue.targets AS t
  ON t.region_code = d.region_code AND t.indicator_code = i.indicator_code
 AND t.year = CAST(left($period, 4) AS INTEGER) AND t.variant = 'raw'
LEFT JOIN (
    SELECT indicator_code, region_code, arg_max(value, period) AS value, max(period) AS period
    FROM marts.indicator_values
    WHERE period_type = 'submitted' AND period < $period
    GROUP BY ALL
) AS last ON last.indicator_code = i.indicator_code AND last.region_code = d.region_code
WHERE $department IS NULL OR d.department_code = $department
ORDER BY d.department_code, i.national_no NULLS LAST, i.indicator_code;
