-- 月报, air by city ($period, $parent: the region whose cities are ranked). One row for $parent itself and one per
-- city (catalogue.regions whose parent is $parent): the stored month values — 优良天数比例 raw (national monthly reports do not deduct sand
-- and dust from it), PM2.5 dust-deducted where that variant is stored, raw otherwise — each with the same month a
-- year earlier (同比), and the days each pollutant was the primary pollutant on a valid non-good day (AQI > 100) of
-- the city's daily facts (marts.air_daily, raw): the month's 首要污染物 is read from these counts. Nothing is
-- recomputed here: the values are those `ecoflow indicators` shows.
WITH cities AS (
    SELECT region_code, name_zh FROM catalogue.regions WHERE parent_code = $parent OR region_code = $parent
),
month_values AS (
    SELECT indicator_code, region_code, period, variant, value, numerator, denominator, coverage_ok
    FROM marts.indicator_values
    WHERE indicator_code IN ('air_good_day_ratio', 'air_pm25_mean') AND period_type = 'month'
      AND period IN ($period, $last_year)
),
good AS (
    SELECT region_code, period, value, numerator, denominator, coverage_ok
    FROM month_values WHERE indicator_code = 'air_good_day_ratio' AND variant = 'raw'
),
pm25 AS (
    SELECT region_code, period, arg_max(value, variant = 'dust_deducted') AS value,
           arg_max(variant, variant = 'dust_deducted') AS variant,
           arg_max(coverage_ok, variant = 'dust_deducted') AS coverage_ok
    FROM month_values WHERE indicator_code = 'air_pm25_mean' AND variant IN ('raw', 'dust_deducted')
    GROUP BY region_code, period
),
primary_days AS (
    SELECT d.entity_code AS region_code, trim(p.pollutant) AS pollutant, count(*) AS days
    FROM marts.air_daily AS d, unnest(string_split(d.primary_pollutants, ',')) AS p(pollutant)
    WHERE d.entity_kind = 'region' AND d.variant = 'raw' AND d.aqi_valid AND NOT d.good
      AND strftime(d.obs_date, '%Y-%m') = $period
    GROUP BY ALL
),
non_good AS (
    SELECT entity_code AS region_code, count(*) AS days
    FROM marts.air_daily
    WHERE entity_kind = 'region' AND variant = 'raw' AND aqi_valid AND NOT good
      AND strftime(obs_date, '%Y-%m') = $period
    GROUP BY ALL
)
SELECT c.region_code, c.name_zh AS region_name,
       g.value AS good_ratio, g.numerator AS good_days, g.denominator AS valid_days, g.coverage_ok AS good_coverage_ok,
       gl.value AS good_ratio_last_year,
       p.value AS pm25, p.variant AS pm25_variant, p.coverage_ok AS pm25_coverage_ok, pl.value AS pm25_last_year,
       coalesce(n.days, 0) AS non_good_days,
       (SELECT list({'pollutant': x.pollutant, 'days': x.days} ORDER BY x.days DESC, x.pollutant)
        FROM primary_days AS x WHERE x.region_code = c.region_code) AS primary_days
FROM cities AS c
LEFT JOIN good AS g ON g.region_code = c.region_code AND g.period = $period
LEFT JOIN good AS gl ON gl.region_code = c.region_code AND gl.period = $last_year
LEFT JOIN pm25 AS p ON p.region_code = c.region_code AND p.period = $period
LEFT JOIN pm25 AS pl ON pl.region_code = c.region_code AND pl.period = $last_year AND pl.variant = p.variant
LEFT JOIN non_good AS n ON n.region_code = c.region_code
ORDER BY c.region_code;
