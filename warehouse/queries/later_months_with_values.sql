-- Months after $period, up to December of the next year, that already have values of these indicators ($codes):
-- their year-to-date (same year), rolling 12 months (the next eleven) and 同比 and projection (next year) depend
-- on $period.
SELECT DISTINCT period FROM marts.indicator_values
WHERE period > $period AND period <= $horizon AND ($codes IS NULL OR list_contains($codes, indicator_code))
ORDER BY period;
