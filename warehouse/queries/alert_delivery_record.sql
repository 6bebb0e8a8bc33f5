-- A recipient's deliveries of the alert versions of its digest (the rows of `_frame`, one per alert version): sent,
-- or failed (kept for the next run). One statement per digest: an upsert a row cost ~6 ms.
INSERT INTO alerts.deliveries AS d (alert_key, version, recipient, role, status, attempts, last_error, digest_id,
                                    eml_path, updated_at)
SELECT alert_key, version, recipient, role, status, 1, last_error, digest_id, eml_path, updated_at FROM _frame
ON CONFLICT (alert_key, version, recipient) DO UPDATE
SET status = excluded.status, attempts = d.attempts + 1, last_error = excluded.last_error,
    digest_id = excluded.digest_id, eml_path = excluded.eml_path, updated_at = excluded.updated_at;
