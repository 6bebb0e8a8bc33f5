-- Monthly bulletin, alerts of the period ($region NULL = every region): each alert the ledger holds for $period,
-- open or closed, with its rule (kind), escalation, what the rule found (detail: JSON with a "finding") and, once
-- closed, when and why. value / target_value / comparator are NULL when the rule had none (e.g. `missing`).
-- recipient_name: who was told, by name (the catalogue's department or feed operator with that address).
SELECT a.alert_key, a.indicator_code, a.region_code, r.name_zh AS region_name, i.national_no, i.sub_no,
       i.name_zh, i.unit, i.evaluation_digits, a.variant, a.kind, a.status, a.value, a.comparator, a.target_value,
       a.coverage_ok, a.delivery_status, a.attempts, a.recipients_to, a.first_raised_at, a.closed_at,
       a.close_reason, a.detail, coalesce(a.escalation, 0) AS escalation, a.sent_at, who.name_zh AS recipient_name,
       (SELECT count(*) FROM catalogue.indicators AS k WHERE k.national_no = i.national_no) AS sub_count
FROM alerts.ledger AS a
JOIN catalogue.indicators AS i USING (indicator_code)
LEFT JOIN catalogue.regions AS r ON r.region_code = a.region_code
LEFT JOIN (SELECT lower(email) AS email, min(name_zh) AS name_zh
           FROM (SELECT email, name_zh FROM catalogue.departments
                 UNION ALL SELECT email, name_zh FROM catalogue.feed_operators)
           GROUP BY ALL) AS who ON who.email = lower(a.recipients_to)
WHERE a.period = $period AND ($region IS NULL OR a.region_code = $region)
ORDER BY a.status DESC, a.region_code, i.national_no NULLS LAST, i.sub_no NULLS LAST, a.indicator_code, a.variant,
         a.kind;
