-- Monthly bulletin, alerts of the period ($region NULL = every region): each alert the ledger holds for $period,
-- open or closed. The ledger keeps first_raised_at; a closed alert's updated_at is when it closed.
SELECT a.alert_key, a.indicator_code, a.region_code, r.name_zh AS region_name, i.national_no, i.sub_no,
       i.name_zh, i.unit, i.evaluation_digits, a.variant, a.status, a.value, a.comparator, a.target_value,
       a.coverage_ok, a.delivery_status, a.attempts, a.recipients_to, a.first_raised_at,
       CASE WHEN a.status = 'closed' THEN a.updated_at END AS closed_at, a.sent_at,
       (SELECT count(*) FROM catalogue.indicators AS k WHERE k.national_no = i.national_no) AS sub_count
FROM alerts.ledger AS a
JOIN catalogue.indicators AS i USING (indicator_code)
LEFT JOIN catalogue.regions AS r ON r.region_code = a.region_code
WHERE a.period = $period AND ($region IS NULL OR a.region_code = $region)
ORDER BY a.status DESC, a.region_code, i.national_no NULLS LAST, i.sub_no NULLS LAST, a.indicator_code;
