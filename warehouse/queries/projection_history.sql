-- The year-to-date values of earlier years at the same month ($month, 'MM') and at December, with their numerators
-- and denominators (day counts of a ratio): how a value grew from this point of the year to its end, year by year
-- (RULES §4, the projection's seasonal ratio). Only complete years: both values complete (coverage_ok), so a year
-- whose data start in October has no path from January; the latest first (the projection takes up to three).
SELECT indicator_code, region_code, variant, CAST(left(period, 4) AS INTEGER) AS year,
       max(value) FILTER (WHERE right(period, 2) = $month) AS at_month,
       max(value) FILTER (WHERE right(period, 2) = '12') AS at_year_end,
       max(numerator) FILTER (WHERE right(period, 2) = $month) AS num_at_month,
       max(numerator) FILTER (WHERE right(period, 2) = '12') AS num_at_year_end,
       max(denominator) FILTER (WHERE right(period, 2) = $month) AS den_at_month,
       max(denominator) FILTER (WHERE right(period, 2) = '12') AS den_at_year_end
FROM marts.indicator_values
WHERE period_type = 'ytd' AND period < $year_start AND right(period, 2) IN ($month, '12') AND value IS NOT NULL
  AND coverage_ok
GROUP BY ALL
HAVING count(value) FILTER (WHERE right(period, 2) = $month) > 0
   AND count(value) FILTER (WHERE right(period, 2) = '12') > 0
ORDER BY indicator_code, region_code, variant, year DESC;
