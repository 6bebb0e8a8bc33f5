-- The stored values a recomputation is about to replace (to record what changed and why).
SELECT indicator_code, region_code, period, period_type, variant, value, coverage_ok, rules_version, batch_ids,
       lineage
FROM marts.indicator_values
WHERE period = $period AND list_contains($codes, indicator_code) AND list_contains($period_types, period_type);
