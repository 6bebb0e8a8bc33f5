-- Alerts whose current version (an opening, a change, an escalation or a closing notice) has not been delivered
-- yet (any period: a failed send is never dropped), with everything a digest shows about them (the target's kind
-- and wording of the period's year: a task reads 制定实施, not =1).
SELECT a.alert_key, a.indicator_code, a.region_code, a.period, a.kind, a.variant, a.status, a.value,
       a.target_value, a.comparator, a.coverage_ok, a.fingerprint, a.sent_fingerprint, a.recipients_to,
       a.recipients_cc, a.detail, a.escalation, a.close_reason, a.first_raised_at,
       i.name_zh AS indicator_name, i.unit, i.evaluation_digits, i.national_no, r.name_zh AS region_name,
       d.name_zh AS to_name, t.target_kind, t.target_text
FROM alerts.ledger AS a
JOIN catalogue.indicators AS i USING (indicator_code)
LEFT JOIN catalogue.regions AS r ON r.region_code = a.region_code
LEFT JOIN catalogue.departments AS d ON lower(d.email) = lower(a.recipients_to)
LEFT JOIN catalogue.targets AS t
  ON t.region_code = a.region_code AND t.indicator_code = a.indicator_code AND t.variant = a.variant
 AND t.year = CAST(left(a.period, 4) AS INTEGER)
WHERE a.delivery_status IN ('pending', 'failed')
ORDER BY a.recipients_to, a.status DESC, a.period, a.region_code, i.national_no NULLS LAST, a.indicator_code,
         a.kind;
