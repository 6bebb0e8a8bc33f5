-- What each department's template lists for $period: the submitted indicators it leads that have a target in its
-- region or a region below it (any year), with the target of the period's year and the latest value submitted
-- before the period. $department NULL = every department. An indicator computed from submitted counts ($derived,
-- e.g. the drinking-water sources ratio) is not asked for: its inputs ($inputs) are, wherever it has a target —
-- except in a region whose sources the catalogue lists for the year, which reports them source by source on its own
-- sheet (水源地水质月报, tasks/sources/submissions/drinking_water.py).
SELECT d.department_code, d.name_zh AS department_name, d.region_code, r.name_zh AS region_name, d.email,
       i.indicator_code, i.national_no, i.sub_no, i.name_zh, i.unit, i.min_value, i.max_value, i.frequency,
       i.obtained_by,
       (SELECT count(*) FROM catalogue.indicators AS k WHERE k.national_no = i.national_no) AS sub_count,
       t.comparator, coalesce(a.target_value, t.target_value) AS target_value, t.target_kind, t.target_text,
       last.value AS last_value, last.period AS last_period
FROM catalogue.departments AS d
JOIN catalogue.regions AS r USING (region_code)
JOIN catalogue.indicators AS i ON i.lead_department = d.role AND i.obtained_by IN ('submitted', 'survey', 'task')
LEFT JOIN catalogue.targets AS t
  ON t.region_code = d.region_code AND t.indicator_code = i.indicator_code
 AND t.year = CAST(left($period, 4) AS INTEGER) AND t.variant = 'raw'
LEFT JOIN catalogue.assigned_targets AS a
  ON a.region_code = t.region_code AND a.indicator_code = t.indicator_code AND a.year = t.year
LEFT JOIN (
    SELECT indicator_code, region_code, arg_max(value, period) AS value, max(period) AS period
    FROM marts.indicator_values
    WHERE period_type = 'submitted' AND period < $period
    GROUP BY ALL
) AS last ON last.indicator_code = i.indicator_code AND last.region_code = d.region_code
WHERE ($department IS NULL OR d.department_code = $department)
  AND i.indicator_code <> $derived
  AND NOT (list_contains($inputs, i.indicator_code)
           AND EXISTS (SELECT 1 FROM catalogue.drinking_water_sources AS s
                       WHERE s.region_code = d.region_code AND s.from_year <= CAST(left($period, 4) AS INTEGER)
                         AND coalesce(s.to_year, 9999) >= CAST(left($period, 4) AS INTEGER)))
  AND EXISTS (SELECT 1 FROM catalogue.targets AS any_t
              JOIN staging.int_region_ancestors AS anc ON anc.region_code = any_t.region_code
              WHERE any_t.indicator_code = CASE WHEN list_contains($inputs, i.indicator_code) THEN $derived
                                                ELSE i.indicator_code END
                AND anc.ancestor_code = d.region_code
                AND (any_t.region_code = d.region_code
                     OR NOT EXISTS (SELECT 1 FROM catalogue.departments AS own
                                    WHERE own.region_code = any_t.region_code AND own.role = d.role)))
ORDER BY d.department_code, i.national_no NULLS LAST, i.sub_no NULLS LAST, i.indicator_code;
