-- Open alerts whose current version has not been delivered yet (any period: a failed send is never dropped).
SELECT alert_key, period, fingerprint, recipients_to, recipients_cc
FROM alerts.ledger
WHERE status = 'open' AND delivery_status IN ('pending', 'failed')
ORDER BY period, alert_key;
