-- What each indicator of each region is judged on for $period ($year = its year): the target of the year (an
-- assigned target takes its configured value), and the value — the year-to-date value for a computed indicator;
-- for a submitted one the value of the period, or for an annual one the latest submitted up to the period — and
-- how the region obtains it ($first_day: the period's first day selects the catalogue.indicator_sources row in force),
-- with the year-to-date of the same months last year ($last_year_period) for 同比.
WITH pairs AS (
    SELECT region_code, indicator_code FROM catalogue.targets WHERE year = $year
    UNION
    SELECT region_code, indicator_code FROM marts.indicator_values WHERE period = $period
),
tgt AS (
    SELECT t.region_code, t.indicator_code, coalesce(t.target_kind, 'value') AS target_kind, t.comparator,
           CASE WHEN t.target_kind = 'assigned' THEN a.target_value ELSE t.target_value END AS target_value,
           t.target_text, t.variant
    FROM catalogue.targets AS t
    LEFT JOIN catalogue.assigned_targets AS a
      ON a.region_code = t.region_code AND a.indicator_code = t.indicator_code AND a.year = t.year
    WHERE t.year = $year
),
computed AS (
    SELECT indicator_code, region_code, variant, value, coverage_ok, period AS basis_period
    FROM marts.indicator_values
    WHERE period = $period AND period_type = 'ytd'
),
way AS (
    SELECT region_code, indicator_code, arg_max(obtained_as, valid_from) AS obtained_as
    FROM catalogue.indicator_sources
    WHERE valid_from <= $first_day
    GROUP BY ALL
),
last_year AS (
    SELECT indicator_code, region_code, variant, value, coverage_ok
    FROM marts.indicator_values
    WHERE period = $last_year_period AND period_type = 'ytd'
),
submitted AS (
    SELECT indicator_code, region_code, variant, arg_max(value, period) AS value,
           arg_max(coverage_ok, period) AS coverage_ok, max(period) AS basis_period
    FROM marts.indicator_values
    WHERE period_type = 'submitted' AND period <= $period
    GROUP BY ALL
)
SELECT
    p.indicator_code, p.region_code, i.obtained_by, i.frequency,
    coalesce(w.obtained_as, CASE WHEN i.obtained_by = 'computed' THEN 'feed' ELSE i.obtained_by END) AS obtained_as,
    CASE WHEN ly.coverage_ok THEN ly.value END AS last_year_value, i.evaluation_digits, i.min_value, i.max_value,
    t.target_kind, t.comparator, t.target_value, t.target_text, coalesce(t.variant, 'raw') AS variant,
    CASE WHEN i.obtained_by = 'computed' AND w.obtained_as IS DISTINCT FROM 'submitted'
         THEN 'ytd' ELSE 'submitted' END AS basis_period_type,
    CASE WHEN i.obtained_by = 'computed' AND w.obtained_as IS DISTINCT FROM 'submitted'
         THEN c.basis_period ELSE s.basis_period END AS basis_period,
    CASE WHEN i.obtained_by = 'computed' AND w.obtained_as IS DISTINCT FROM 'submitted'
         THEN c.value ELSE s.value END AS value,
    CASE WHEN i.obtained_by = 'computed' AND w.obtained_as IS DISTINCT FROM 'submitted'
         THEN c.coverage_ok ELSE s.coverage_ok END AS coverage_ok
FROM pairs AS p
JOIN catalogue.indicators AS i USING (indicator_code)
LEFT JOIN tgt AS t ON t.region_code = p.region_code AND t.indicator_code = p.indicator_code
LEFT JOIN computed AS c
  ON c.indicator_code = p.indicator_code AND c.region_code = p.region_code AND c.variant = coalesce(t.variant, 'raw')
LEFT JOIN way AS w ON w.region_code = p.region_code AND w.indicator_code = p.indicator_code
LEFT JOIN last_year AS ly
  ON ly.indicator_code = p.indicator_code AND ly.region_code = p.region_code AND ly.variant = coalesce(t.variant, 'raw')
LEFT JOIN submitted AS s
  ON s.indicator_code = p.indicator_code AND s.region_code = p.region_code AND s.variant = coalesce(t.variant, 'raw')
 AND (i.frequency = 'annual' OR s.basis_period = $period)
ORDER BY p.region_code, i.national_no NULLS LAST, i.sub_no NULLS LAST, p.indicator_code;
