-- 月报, the region's 12-month trend ($region, $first..$period): the stored month values of 优良天数比例 (raw) and
-- PM2.5 (dust-deducted where stored, raw otherwise), one row per month that has either.
SELECT period,
       max(value) FILTER (WHERE indicator_code = 'air_good_day_ratio' AND variant = 'raw') AS good_ratio,
       coalesce(max(value) FILTER (WHERE indicator_code = 'air_pm25_mean' AND variant = 'dust_deducted'),
                max(value) FILTER (WHERE indicator_code = 'air_pm25_mean' AND variant = 'raw')) AS pm25
FROM marts.indicator_values
WHERE region_code = $region AND period_type = 'month' AND period BETWEEN $first AND $period
  AND indicator_code IN ('air_good_day_ratio', 'air_pm25_mean')
GROUP BY period
ORDER BY period;
