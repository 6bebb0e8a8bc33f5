-- What the alert rules judge for $period: each evaluated indicator of each region that has a target there, with
-- its value's coverage, whether the month itself has data, 同比 (the year-to-date a year earlier) and its
-- rolling-12 series since $r12_from.
WITH r12 AS (
    SELECT indicator_code, region_code, variant, list(period ORDER BY period) AS r12_periods,
           list(value ORDER BY period) AS r12_values, list(coverage_ok ORDER BY period) AS r12_ok
    FROM marts.indicator_values
    WHERE period_type = 'r12' AND period BETWEEN $r12_from AND $period
    GROUP BY ALL
)
SELECT s.indicator_code, s.region_code, s.period, s.variant, s.status, s.reason, s.value, s.coverage_ok,
       s.basis_period_type, s.basis_period, s.target_kind, s.comparator, s.target_value, s.target_text,
       s.projected_value, s.projected_from, s.projected_meets,
       s.last_year_value AS status_last_year_value, s.obtained_as,
       i.direction, i.obtained_by, i.frequency, i.unit,
       v.coverage_valid, v.coverage_expected, m.coverage_valid AS month_coverage_valid,
       ly.value AS last_year_value, ly.coverage_ok AS last_year_coverage_ok,
       r12.r12_periods, r12.r12_values, r12.r12_ok
FROM marts.indicator_status AS s
JOIN catalogue.indicators AS i USING (indicator_code)
LEFT JOIN marts.indicator_values AS v
  ON v.indicator_code = s.indicator_code AND v.region_code = s.region_code AND v.variant = s.variant
 AND v.period = s.basis_period AND v.period_type = s.basis_period_type
LEFT JOIN marts.indicator_values AS m
  ON m.indicator_code = s.indicator_code AND m.region_code = s.region_code AND m.variant = s.variant
 AND m.period = s.period AND m.period_type = 'month'
LEFT JOIN marts.indicator_values AS ly
  ON ly.indicator_code = s.indicator_code AND ly.region_code = s.region_code AND ly.variant = s.variant
 AND ly.period_type = 'ytd' AND ly.period = $last_year_period
LEFT JOIN r12
  ON r12.indicator_code = s.indicator_code AND r12.region_code = s.region_code AND r12.variant = s.variant
WHERE s.period = $period AND s.status IS NOT NULL
ORDER BY s.region_code, s.indicator_code, s.variant;
