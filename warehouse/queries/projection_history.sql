-- The year-to-date values of earlier years at the same month ($month, 'MM') and at December: how much a value
-- moved from this point of the year to its end, year by year (the projection's seasonal path). Only complete
-- values: a year whose data start in October has no path from January.
SELECT indicator_code, region_code, variant, CAST(left(period, 4) AS INTEGER) AS year,
       max(value) FILTER (WHERE right(period, 2) = $month) AS at_month,
       max(value) FILTER (WHERE right(period, 2) = '12') AS at_year_end
FROM marts.indicator_values
WHERE period_type = 'ytd' AND period < $year_start AND right(period, 2) IN ($month, '12') AND value IS NOT NULL
  AND coverage_ok
GROUP BY ALL
HAVING count(value) FILTER (WHERE right(period, 2) = $month) > 0
   AND count(value) FILTER (WHERE right(period, 2) = '12') > 0
ORDER BY indicator_code, region_code, variant, year;
