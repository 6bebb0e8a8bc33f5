-- What the ledger holds for the alerts of one period.
SELECT alert_key, status, sent_fingerprint, fingerprint, coalesce(cycle, 0) AS cycle
FROM alerts.ledger WHERE period = $period;
