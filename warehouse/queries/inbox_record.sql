-- One inbox file's outcome; its reply is queued (pending) and sent by receipts.deliver_pending.
INSERT INTO meta.inbox_files (file_id, received_name, sha256, size_bytes, received_at, department_code, period,
                              run_id, batch_id, outcome, reason, moved_to, reply_to, reply_status, reply_eml,
                              reply_error)
VALUES ($file_id, $received_name, $sha256, $size, $received_at, $department_code, $period, $run_id, $batch_id,
        $outcome, $reason, $moved_to, NULL, 'pending', NULL, NULL);
