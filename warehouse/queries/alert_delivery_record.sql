-- One recipient's delivery of one version of an alert: sent, or failed (kept for the next run).
INSERT INTO alerts.deliveries AS d (alert_key, version, recipient, role, status, attempts, last_error, digest_id,
                                    eml_path, updated_at)
VALUES ($key, $version, $recipient, $role, $status, 1, $error, $digest, $path, $now)
ON CONFLICT (alert_key, version, recipient) DO UPDATE
SET status = excluded.status, attempts = d.attempts + 1, last_error = excluded.last_error,
    digest_id = excluded.digest_id, eml_path = excluded.eml_path, updated_at = excluded.updated_at;
