-- The periods in which the same indicator, region, kind and variant has an open alert (for escalation).
SELECT period FROM alerts.ledger
WHERE indicator_code = $indicator_code AND region_code = $region_code AND kind = $kind AND variant = $variant
  AND status = 'open' AND period < $period
ORDER BY period DESC;
