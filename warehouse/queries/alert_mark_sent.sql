-- Every recipient has these alerts' current versions ($keys): record each as the version delivered.
UPDATE alerts.ledger
SET delivery_status = 'sent', attempts = attempts + 1, last_error = NULL, sent_fingerprint = fingerprint,
    sent_at = $now, updated_at = $now,
    digest_id = (SELECT max(digest_id) FROM alerts.deliveries AS d
                 WHERE d.alert_key = ledger.alert_key AND d.version = ledger.fingerprint AND d.role = 'lead'),
    eml_path = (SELECT max(eml_path) FROM alerts.deliveries AS d
                WHERE d.alert_key = ledger.alert_key AND d.version = ledger.fingerprint AND d.role = 'lead')
WHERE list_contains($keys, alert_key);
