-- The recipients who already have the given versions of alerts (a resend after a partial failure skips them).
SELECT alert_key, version, recipient FROM alerts.deliveries
WHERE status = 'sent' AND list_contains($keys, alert_key);
