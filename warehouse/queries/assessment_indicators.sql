-- The quarterly assessment's indicator rows: every judged indicator of every region at the quarter's last month,
-- with its projected year-end and the value of the same basis a year earlier (同比); frequency, how it is obtained and
-- its basis period tell whether an awaited submission is past its deadline (the `missing` alert rule's facts).
WITH judged AS (
    SELECT * FROM marts.indicator_status WHERE period = $period AND status IS NOT NULL
),
last_year AS (
    SELECT indicator_code, region_code, variant, period_type, value
    FROM marts.indicator_values WHERE period = $last_year
)
SELECT j.region_code, r.name_zh AS region_name, r.parent_code, j.indicator_code, i.name_zh, i.unit, i.direction,
       i.lead_department, j.value, j.status, j.comparator, j.target_value, j.target_text, j.projected_value,
       j.projected_meets, ly.value AS last_year_value, i.frequency, i.obtained_by, j.obtained_as, j.basis_period
FROM judged AS j
JOIN catalogue.indicators AS i USING (indicator_code)
JOIN catalogue.regions AS r USING (region_code)
LEFT JOIN last_year AS ly ON ly.indicator_code = j.indicator_code AND ly.region_code = j.region_code
     AND ly.variant = j.variant AND ly.period_type = j.basis_period_type
ORDER BY j.region_code, i.national_no NULLS LAST, i.sub_no, j.indicator_code;
