-- Every open alert of the months before $period, per indicator, region, rule and variant, latest first: read once
-- per evaluation (how long an alert has stayed open, for escalation; what a clearing month resolves), rather than
-- once per indicator, region and rule.
SELECT indicator_code, region_code, kind, variant, period, alert_key, fingerprint FROM alerts.ledger
WHERE status = 'open' AND period < $period
ORDER BY indicator_code, region_code, kind, variant, period DESC;
