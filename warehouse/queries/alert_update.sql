-- An alert whose facts changed, that escalated, or that fires again after closing: open and pending.
UPDATE alerts.ledger
SET status = 'open', value = $value, target_value = $target_value, comparator = $comparator,
    coverage_ok = $coverage_ok, fingerprint = $fingerprint, delivery_status = 'pending', recipients_to = $to,
    recipients_cc = $cc, updated_at = $now, detail = $detail, escalation = $escalation, closed_at = NULL,
    close_reason = NULL
WHERE alert_key = $key;
