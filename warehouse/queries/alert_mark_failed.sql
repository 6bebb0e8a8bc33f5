-- A send failed: keep it, with the error, for the next try.
UPDATE alerts.ledger
SET delivery_status = 'failed', attempts = attempts + 1, last_error = $error, updated_at = $now
WHERE alert_key = $key;
