-- The alert ledger for operators ($open_only: only open alerts).
SELECT a.alert_key, a.period, a.region_code, r.name_zh AS region_name, a.indicator_code, a.kind, a.variant,
       a.status, a.escalation, a.value, a.comparator, a.target_value, a.coverage_ok, a.detail, a.delivery_status,
       a.attempts, a.last_error, a.recipients_to, a.recipients_cc, a.first_raised_at, a.sent_at, a.closed_at,
       a.close_reason, a.digest_id
FROM alerts.ledger AS a
LEFT JOIN catalogue.regions AS r ON r.region_code = a.region_code
WHERE NOT $open_only OR a.status = 'open'
ORDER BY a.period DESC, a.region_code, a.indicator_code, a.kind;
