-- Monthly bulletin, sparklines: each indicator's values by month from $first to $period ($region NULL = every
-- region) — the month's own value for a computed indicator (never the year to date), the value as submitted
-- for the others. Months without a value are simply absent.
SELECT v.indicator_code, v.region_code, v.variant, v.period, v.value
FROM marts.indicator_values AS v
JOIN catalogue.indicators AS i USING (indicator_code)
WHERE v.period BETWEEN $first AND $period
  AND v.period_type = CASE WHEN i.obtained_by = 'computed' THEN 'month' ELSE 'submitted' END
  AND v.value IS NOT NULL
  AND ($region IS NULL OR v.region_code = $region)
ORDER BY v.region_code, v.indicator_code, v.variant, v.period;
