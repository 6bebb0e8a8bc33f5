-- Record a reply attempt: sent (with its .eml copy) or failed (with the error; retried on the next run).
UPDATE meta.inbox_files
SET reply_status = $status, reply_to = $reply_to, reply_eml = coalesce($eml, reply_eml), reply_error = $error
WHERE file_id = $file_id;
