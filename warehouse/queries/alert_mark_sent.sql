-- Record a delivery: the version sent is the current fingerprint, carried by digest $digest.
UPDATE alerts.ledger
SET delivery_status = 'sent', attempts = attempts + 1, last_error = NULL, sent_fingerprint = fingerprint,
    sent_at = $now, updated_at = $now, eml_path = $path, digest_id = $digest
WHERE alert_key = $key;
