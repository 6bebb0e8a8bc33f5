-- The section months of $year up to $period (year-to-date class = class of the mean of monthly means).
SELECT province, basin, section_name, section_code, period, water_body, parameter_means, water_class, batch_ids
FROM marts.water_section_month
WHERE period BETWEEN $first_period AND $period
ORDER BY province, basin, section_name, period;
