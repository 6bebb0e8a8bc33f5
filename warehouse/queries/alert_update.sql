-- An alert whose value, target or coverage changed, or that misses again after closing: open and pending.
UPDATE alerts.ledger
SET status = 'open', value = $value, target_value = $target_value, comparator = $comparator,
    coverage_ok = $coverage_ok, fingerprint = $fingerprint, delivery_status = 'pending', recipients_to = $to,
    recipients_cc = $cc, updated_at = $now
WHERE alert_key = $key;
