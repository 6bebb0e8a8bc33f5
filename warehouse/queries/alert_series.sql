-- An indicator's recent values in a region for a digest's trend chart: month and year-to-date values (or the
-- submitted ones) from $first to $last, and the value's coverage and lineage at $last.
SELECT period, period_type, value, coverage_ok, batch_ids, lineage, coverage_unit, coverage_valid, coverage_expected,
       rules_version
FROM marts.indicator_values
WHERE indicator_code = $indicator_code AND region_code = $region_code AND variant = $variant
  AND period BETWEEN $first AND $last AND period_type IN ('month', 'ytd', 'submitted')
ORDER BY period, period_type;
