-- Indicator values of a period with their target and evaluation ($region NULL = every region). Every indicator
-- that has a target in a region appears, with its status, even when nothing has been computed or submitted yet
-- (then value is NULL and the status says 待报送 or 数据不足); an annual submitted value carried from an earlier
-- period shows that period in basis_period. Each value comes with the same kind of value a year earlier (同比).
WITH own AS (
    SELECT v.indicator_code, v.region_code, v.period, v.period_type, v.variant, v.value, v.numerator, v.denominator,
           v.valid_days, v.calendar_days, v.coverage_ok, v.coverage_unit, v.coverage_valid, v.coverage_expected,
           v.coverage_complete, v.rules_version, v.batch_ids, v.overridden_batch_ids, v.notes, v.lineage, v.period AS basis_period
    FROM marts.indicator_values AS v
    WHERE v.period = $period
),
status_only AS (
    SELECT s.indicator_code, s.region_code, s.period,
           coalesce(s.basis_period_type, CASE WHEN i.obtained_by = 'computed' THEN 'ytd' ELSE 'submitted' END)
               AS period_type,
           s.variant, s.value, NULL::DOUBLE AS numerator, NULL::DOUBLE AS denominator, NULL::INTEGER AS valid_days,
           NULL::INTEGER AS calendar_days, s.coverage_ok, NULL AS coverage_unit, NULL::INTEGER AS coverage_valid,
           NULL::INTEGER AS coverage_expected, NULL::INTEGER AS coverage_complete, NULL AS rules_version, []::TEXT[] AS batch_ids,
           NULL::TEXT[] AS overridden_batch_ids, NULL AS notes,
           NULL AS lineage, s.basis_period
    FROM marts.indicator_status AS s
    JOIN catalogue.indicators AS i USING (indicator_code)
    WHERE s.period = $period
      AND NOT EXISTS (SELECT 1 FROM own AS o
                      WHERE o.indicator_code = s.indicator_code AND o.region_code = s.region_code)
)
SELECT
    x.indicator_code, i.national_no, i.sub_no, i.name_zh, i.domain, x.region_code, r.name_zh AS region_name,
    x.period, x.period_type, x.variant, x.value, i.unit, x.numerator, x.denominator, x.valid_days, x.calendar_days,
    x.coverage_ok, x.coverage_unit, x.coverage_valid, x.coverage_expected, x.coverage_complete,
    st.comparator AS target_comparator, st.target_value, st.target_kind, st.target_text,
    CASE WHEN st.target_kind = 'task' THEN st.target_text
         WHEN st.target_value IS NOT NULL THEN st.comparator || ' ' || CAST(st.target_value AS TEXT) END AS target,
    -- the status belongs to the value it was judged on (year to date, or as submitted), not to a month's value
    CASE WHEN x.period_type IN ('ytd', 'submitted') THEN st.status END AS status,
    CASE WHEN x.period_type IN ('ytd', 'submitted') THEN st.reason END AS status_reason, x.basis_period,
    CASE WHEN x.period_type = 'ytd' THEN st.projected_value END AS projected_value,
    CASE WHEN x.period_type = 'ytd' THEN st.projected_from END AS projected_from,
    CASE WHEN x.period_type = 'ytd' THEN st.projected_meets END AS projected_meets,
    -- overridden_batch_ids: batches a steward accepted although rows fail an error rule (the value rests on them)
    x.rules_version, x.batch_ids, x.overridden_batch_ids, x.notes, x.lineage,
    -- 同比: the same kind of value for the same months a year earlier (month vs month, YTD vs YTD, r12 vs r12)
    ly.value AS same_period_last_year, ly.coverage_ok AS same_period_last_year_coverage_ok,
    x.value - ly.value AS change_vs_last_year
FROM (SELECT * FROM own UNION ALL BY NAME SELECT * FROM status_only) AS x
JOIN catalogue.indicators AS i ON i.indicator_code = x.indicator_code
LEFT JOIN catalogue.regions AS r ON r.region_code = x.region_code
LEFT JOIN marts.indicator_values AS ly
  ON ly.indicator_code = x.indicator_code AND ly.region_code = x.region_code AND ly.variant = x.variant
 AND ly.period_type = x.period_type
 AND ly.period = CAST(CAST(left(x.period, 4) AS INTEGER) - 1 AS TEXT) || right(x.period, 3)
LEFT JOIN marts.indicator_status AS st
  ON st.indicator_code = x.indicator_code AND st.region_code = x.region_code AND st.period = x.period
 AND st.variant = x.variant
WHERE ($region IS NULL OR x.region_code = $region)
  AND ($variant IS NULL OR x.variant = $variant)
ORDER BY x.region_code, i.national_no NULLS LAST, i.sub_no NULLS LAST, x.indicator_code, x.variant,
         list_position(['month', 'ytd', 'r12', 'submitted'], x.period_type);
