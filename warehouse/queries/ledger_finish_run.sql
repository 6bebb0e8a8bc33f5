-- Close a run: computed, or failed with the reason.
UPDATE meta.runs SET status = $status, finished_at = $now, message = $message WHERE run_id = $run_id;
