-- Indicators under a progress warning (进度预警: the projected year-end misses the target) in a month, by region.
SELECT indicator_code, region_code
FROM marts.indicator_status
WHERE period = $period AND projected_meets = false;
