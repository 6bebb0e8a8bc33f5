-- Months after $period in the same year that already have values of these indicators ($codes): their YTD
-- depends on $period.
SELECT DISTINCT period FROM marts.indicator_values
WHERE period > $period AND period <= $year_end AND ($codes IS NULL OR list_contains($codes, indicator_code))
ORDER BY period;
