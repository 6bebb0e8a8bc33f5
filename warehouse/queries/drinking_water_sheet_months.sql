-- Months after $period, to the end of its year, for which a drinking-water source sheet has been accepted: their
-- year-to-date judgement depends on $period.
SELECT DISTINCT period FROM raw.drinking_water_results
WHERE period > $period AND period <= $year_end
ORDER BY period;
