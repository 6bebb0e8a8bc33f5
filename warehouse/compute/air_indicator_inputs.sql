-- Per region, variant and month from $first to $last (dates; the caller spans the year to date and the rolling
-- 12 months): the counts and sums indicators are made of. Values over several months are then summed from these
-- daily-based figures, never from rounded monthly values.
SELECT
    entity_code AS region_code,
    variant,
    strftime(obs_date, '%Y-%m') AS period,
    count(*) FILTER (WHERE good) AS good_days,
    count(*) FILTER (WHERE aqi_valid) AS aqi_valid_days,
    CAST(sum(CAST(pm25 AS DECIMAL(18, 9))) AS DOUBLE) AS pm25_sum,
    count(pm25) AS pm25_days,
    list(DISTINCT aqi_standard ORDER BY aqi_standard) AS standards
FROM marts.air_daily
WHERE entity_kind = 'region' AND obs_date BETWEEN $first AND $last
GROUP BY ALL
ORDER BY region_code, variant, period;
