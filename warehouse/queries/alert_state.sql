-- What the ledger holds for one alert.
SELECT status, sent_fingerprint FROM alerts.ledger WHERE alert_key = $key;
