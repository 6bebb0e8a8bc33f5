-- Open alerts of one indicator, region, rule and variant before $period (from $since): resolved when the rule
-- clears in a later month.
SELECT alert_key, fingerprint FROM alerts.ledger
WHERE indicator_code = $indicator_code AND region_code = $region_code AND kind = $kind AND variant = $variant
  AND status = 'open' AND period < $period AND period >= $since;
