-- The condition is gone: the alert closes. Owners who were told of it are told once that it closed (a pending
-- closing notice, a version of its own); an alert never delivered closes silently.
UPDATE alerts.ledger
SET status = 'closed', closed_at = $now, close_reason = $reason, updated_at = $now, fingerprint = $fingerprint,
    delivery_status = CASE WHEN sent_fingerprint IS NULL THEN 'cancelled' ELSE 'pending' END
WHERE alert_key = $key;
