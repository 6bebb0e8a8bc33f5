-- Open alerts of one indicator, region, rule and variant in the months before $period (from $since), latest
-- first: how long an alert has stayed open (escalation), and what a clearing month resolves.
SELECT period, alert_key, fingerprint FROM alerts.ledger
WHERE indicator_code = $indicator_code AND region_code = $region_code AND kind = $kind AND variant = $variant
  AND status = 'open' AND period < $period AND period >= $since
ORDER BY period DESC;
