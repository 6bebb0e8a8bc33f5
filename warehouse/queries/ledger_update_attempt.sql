-- Move a file's attempt on (validated, landed, rejected, failed); NULL parameters keep the stored value.
UPDATE meta.batches
SET status = coalesce($status, status),
    rows_in = coalesce($rows_in, rows_in),
    rows_landed = coalesce($rows_landed, rows_landed),
    rows_rejected = coalesce($rows_rejected, rows_rejected),
    rows_warned = coalesce($rows_warned, rows_warned),
    report_path = coalesce($report_path, report_path),
    message = coalesce($message, message)
WHERE attempt_id = $attempt_id;
