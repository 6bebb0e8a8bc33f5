-- Per region, variant and month of the year up to $month: the counts and sums indicators are made of.
-- Year-to-date values are then summed from these daily-based figures, never from rounded monthly values.
SELECT
    entity_code AS region_code,
    variant,
    CAST(month(obs_date) AS INTEGER) AS month,
    count(*) FILTER (WHERE good) AS good_days,
    count(*) FILTER (WHERE aqi_valid) AS aqi_valid_days,
    CAST(sum(CAST(pm25 AS DECIMAL(18, 9))) AS DOUBLE) AS pm25_sum,
    count(pm25) AS pm25_days,
    list(DISTINCT aqi_standard ORDER BY aqi_standard) AS standards
FROM marts.air_daily
WHERE entity_kind = 'region' AND year(obs_date) = $year AND month(obs_date) <= $month
GROUP BY ALL
ORDER BY region_code, variant, month;
