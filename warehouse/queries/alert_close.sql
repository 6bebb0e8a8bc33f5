-- The value meets its target again, or is no longer measured against one ($reason NULL in the first case).
UPDATE alerts.ledger SET status = 'closed', last_error = coalesce($reason, last_error), updated_at = $now
WHERE alert_key = $key;
