-- A new alert: open, pending delivery.
INSERT INTO alerts.ledger (alert_key, indicator_code, region_code, period, kind, variant, status, value,
                           target_value, comparator, coverage_ok, fingerprint, sent_fingerprint, delivery_status,
                           attempts, recipients_to, recipients_cc, first_raised_at, updated_at, detail, escalation,
                           cycle)
VALUES ($key, $indicator_code, $region_code, $period, $kind, $variant, 'open', $value, $target_value, $comparator,
        $coverage_ok, $fingerprint, NULL, 'pending', 0, $to, $cc, $now, $now, $detail, $escalation, $cycle);
