-- One file of one run: what the feed answered and where the bytes were archived.
INSERT INTO meta.batches (attempt_id, run_id, batch_id, source, period, file_name, url, status, http_status,
                          http_attempts, sha256, size_bytes, archive_path, fetched_at, message)
VALUES ($attempt_id, $run_id, $batch_id, $source, $period, $file_name, $url, $status, $http_status,
        $http_attempts, $sha256, $size_bytes, $archive_path, $now, $message);
