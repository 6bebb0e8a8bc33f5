-- Indicator values of a period with their target for the period's year ($region NULL = every region).
SELECT
    v.indicator_code, i.national_no, i.name_zh, v.region_code, r.name_zh AS region_name, v.period,
    v.period_type, v.variant, v.value, i.unit, v.numerator, v.denominator, v.valid_days, v.calendar_days,
    v.coverage_ok, v.coverage_unit, v.coverage_valid, v.coverage_expected, t.comparator AS target_comparator,
    t.target_value, v.rules_version, v.batch_ids, v.notes, v.lineage
FROM marts.indicator_values AS v
JOIN catalogue.indicators AS i ON i.indicator_code = v.indicator_code
LEFT JOIN catalogue.regions AS r ON r.region_code = v.region_code
LEFT JOIN catalogue.targets AS t
  ON t.region_code = v.region_code AND t.indicator_code = v.indicator_code
 AND t.year = CAST(left(v.period, 4) AS INTEGER) AND t.variant = v.variant
WHERE v.period = $period
  AND ($region IS NULL OR v.region_code = $region)
  AND ($variant IS NULL OR v.variant = $variant)
ORDER BY v.region_code, v.indicator_code, v.variant, v.period_type;
