-- An alert whose facts changed, that escalated, or that fires again after closing: open, and pending unless its
-- owners already have exactly this version (e.g. it closed and fired again before the closing notice went out).
UPDATE alerts.ledger
SET status = 'open', value = $value, target_value = $target_value, comparator = $comparator,
    coverage_ok = $coverage_ok, fingerprint = $fingerprint,
    delivery_status = CASE WHEN sent_fingerprint = $fingerprint THEN 'sent' ELSE 'pending' END,
    recipients_to = $to, recipients_cc = $cc, updated_at = $now, detail = $detail, escalation = $escalation,
    cycle = $cycle, closed_at = NULL, close_reason = NULL
WHERE alert_key = $key;
