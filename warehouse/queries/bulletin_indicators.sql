-- Monthly bulletin, indicator rows ($period; $region NULL = every region). One row per region and indicator:
-- what marts.indicator_status judged for the period (the year-to-date value of a computed indicator, the value as
-- submitted for the others, carried from an earlier month for an annual one: basis_period), or, where the period
-- was not evaluated, the period's own year-to-date / submitted value. A region with a target (and the region
-- asked for) also lists every national indicator, judged or not, so a gap shows as a gap. The value row of the
-- basis gives coverage, notes and lineage; a submitted value also brings the department's 备注 from its file.
-- The evaluation brings the projected year-end value (and whether it meets the target); the period's rolling
-- 12-month value (period_type 'r12', computed indicators) comes with its coverage. overridden_batch_ids: the
-- batches of the value a steward accepted although they fail error rules (review.decisions).
WITH judged AS (
    SELECT * FROM marts.indicator_status WHERE period = $period
),
own AS (
    SELECT v.indicator_code, v.region_code, v.variant, v.period, v.period_type, v.value
    FROM marts.indicator_values AS v
    JOIN catalogue.indicators AS i USING (indicator_code)
    WHERE v.period = $period AND v.variant = 'raw'
      AND v.period_type = CASE WHEN i.obtained_by = 'computed' THEN 'ytd' ELSE 'submitted' END
),
full_regions AS (
    SELECT DISTINCT region_code FROM judged WHERE target_kind IS NOT NULL
    UNION
    SELECT region_code FROM catalogue.regions WHERE region_code = $region
),
pairs AS (
    SELECT region_code, indicator_code FROM judged
    UNION
    SELECT region_code, indicator_code FROM own
    UNION
    SELECT f.region_code, i.indicator_code
    FROM full_regions AS f CROSS JOIN catalogue.indicators AS i
    WHERE i.national_no IS NOT NULL
),
subs AS (
    SELECT national_no, count(*) AS n FROM catalogue.indicators WHERE national_no IS NOT NULL GROUP BY national_no
),
basis AS (
    SELECT p.region_code, p.indicator_code, s.indicator_code IS NOT NULL AS evaluated,
           coalesce(s.variant, o.variant, 'raw') AS variant,
           CASE WHEN s.indicator_code IS NOT NULL THEN s.basis_period_type ELSE o.period_type END AS basis_period_type,
           CASE WHEN s.indicator_code IS NOT NULL THEN s.basis_period ELSE o.period END AS basis_period,
           CASE WHEN s.indicator_code IS NOT NULL THEN s.value ELSE o.value END AS value,
           s.target_kind, s.comparator, s.target_value, s.target_text, s.status, s.reason,
           s.projected_value, s.projected_from, s.projected_meets
    FROM pairs AS p
    LEFT JOIN judged AS s ON s.indicator_code = p.indicator_code AND s.region_code = p.region_code
    LEFT JOIN own AS o ON o.indicator_code = p.indicator_code AND o.region_code = p.region_code
)
SELECT
    b.region_code, r.name_zh AS region_name, r.level AS region_level, b.indicator_code, i.national_no, i.sub_no,
    coalesce(subs.n, 0) AS sub_count, i.name_zh, i.domain, i.unit, i.direction, i.obtained_by, i.frequency,
    i.evaluation_digits, b.evaluated, b.variant, b.basis_period_type, b.basis_period, b.value,
    b.target_kind, b.comparator, b.target_value, b.target_text, b.status, b.reason,
    b.projected_value, b.projected_from, b.projected_meets,
    r12.value AS r12_value, r12.coverage_ok AS r12_coverage_ok,
    v.coverage_ok, v.coverage_unit, v.coverage_valid, v.coverage_expected, v.notes, v.lineage, v.batch_ids,
    v.overridden_batch_ids,
    (SELECT string_agg(DISTINCT sv.note, '；')
     FROM raw.submission_values AS sv
     WHERE b.basis_period_type = 'submitted' AND list_contains(v.batch_ids, sv.batch_id)
       AND sv.indicator_code = b.indicator_code AND coalesce(trim(sv.note), '') <> '') AS department_note
FROM basis AS b
JOIN catalogue.indicators AS i ON i.indicator_code = b.indicator_code
LEFT JOIN catalogue.regions AS r ON r.region_code = b.region_code
LEFT JOIN subs ON subs.national_no = i.national_no
LEFT JOIN marts.indicator_values AS v
  ON v.indicator_code = b.indicator_code AND v.region_code = b.region_code AND v.period = b.basis_period
 AND v.period_type = b.basis_period_type AND v.variant = b.variant
LEFT JOIN marts.indicator_values AS r12
  ON r12.indicator_code = b.indicator_code AND r12.region_code = b.region_code AND r12.period = $period
 AND r12.period_type = 'r12' AND r12.variant = b.variant
WHERE ($region IS NULL OR b.region_code = $region)
ORDER BY b.region_code, i.national_no NULLS LAST, i.sub_no NULLS LAST, b.indicator_code;
