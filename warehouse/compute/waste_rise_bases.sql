-- The base of indicator 22 (the rise of 一般工业固体废物综合利用率) for each region, for the year of $period:
-- the region's latest catalogue baseline of the rate before that year (baselines.csv; the plan's base year), else
-- the rate computed for the previous year (its December year to date; docs/rules.md S10).
WITH catalogue_base AS (
    SELECT region_code, arg_max(year, year) AS base_year, arg_max(value, year) AS base_value,
           arg_max(source, year) AS base_source
    FROM catalogue.baselines
    WHERE indicator_code = 'industrial_solid_waste_utilization_rate' AND value IS NOT NULL
      AND year < CAST(left($period, 4) AS INTEGER)
    GROUP BY region_code
),
computed_base AS (
    SELECT region_code, CAST(left(period, 4) AS INTEGER) AS base_year, value AS base_value, coverage_ok
    FROM marts.indicator_values
    WHERE indicator_code = 'industrial_solid_waste_utilization_rate' AND period_type = 'ytd' AND variant = 'raw'
      AND period = CAST(CAST(left($period, 4) AS INTEGER) - 1 AS TEXT) || '-12'
)
SELECT coalesce(c.region_code, k.region_code) AS region_code,
       coalesce(c.base_year, k.base_year) AS base_year,
       CASE WHEN c.region_code IS NOT NULL THEN c.base_value ELSE k.base_value END AS base_value,
       CASE WHEN c.region_code IS NOT NULL THEN 'baselines.csv' ELSE 'computed' END AS base_kind,
       c.base_source,
       CASE WHEN c.region_code IS NOT NULL THEN TRUE ELSE k.coverage_ok END AS base_complete
FROM catalogue_base AS c
FULL JOIN computed_base AS k ON k.region_code = c.region_code
ORDER BY region_code;
