-- The section months from $first_period to $period: the month itself, and the months its year-to-date and
-- rolling-12-month classes are made of (a span's class = class of the mean of its monthly means).
SELECT province, basin, section_name, section_code, period, water_body, parameter_means, water_class, batch_ids
FROM marts.water_section_month
WHERE period BETWEEN $first_period AND $period
ORDER BY province, basin, section_name, period;
