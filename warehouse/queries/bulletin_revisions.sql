-- Monthly bulletin, value revisions: what marts.indicator_value_history recorded for the values the bulletin
-- judges (year to date of a computed indicator, the value as submitted for the others) of $period and of the
-- earlier months of its year ($year_start … $period; $region NULL = every region), where the value itself changed
-- (a change of coverage alone is not listed). Newest first; whether it moved at evaluation precision is decided
-- by the caller. The batches and rules versions before and after say why, in words (bulletin.revision_reason_zh).
SELECT h.indicator_code, h.region_code, r.name_zh AS region_name, i.national_no, i.sub_no, i.name_zh, i.unit,
       i.obtained_by, i.evaluation_digits, h.period, h.period_type, h.variant, h.old_value, h.new_value,
       h.old_coverage_ok, h.new_coverage_ok, h.reason, h.revised_at, h.old_batch_ids, h.new_batch_ids,
       h.old_rules_version, h.new_rules_version,
       (SELECT count(*) FROM catalogue.indicators AS k WHERE k.national_no = i.national_no) AS sub_count
FROM marts.indicator_value_history AS h
JOIN catalogue.indicators AS i USING (indicator_code)
LEFT JOIN catalogue.regions AS r ON r.region_code = h.region_code
WHERE h.period BETWEEN $year_start AND $period
  AND h.period_type = CASE WHEN i.obtained_by = 'computed' THEN 'ytd' ELSE 'submitted' END
  AND h.old_value IS DISTINCT FROM h.new_value
  AND ($region IS NULL OR h.region_code = $region)
ORDER BY h.revised_at DESC, h.region_code, i.national_no NULLS LAST, i.sub_no NULLS LAST, h.indicator_code,
         h.period DESC, h.variant;
