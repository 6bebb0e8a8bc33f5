-- Months after $period in the same year that already have indicator values (their YTD depends on $period).
SELECT DISTINCT period FROM marts.indicator_values WHERE period > $period AND period <= $year_end ORDER BY period;
