-- The open alerts of a period (those whose indicator is no longer judged there are closed).
SELECT alert_key, indicator_code, region_code, variant, fingerprint FROM alerts.ledger
WHERE period = $period AND status = 'open';
