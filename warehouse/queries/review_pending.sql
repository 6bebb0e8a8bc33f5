-- Reviews waiting for a decision, oldest first.
SELECT review_id, source, period, files, rows_in, rows_bad, breach, waits_in, dag_id, dag_run_id, task_id, created_at
FROM review.reviews WHERE state = 'pending' ORDER BY created_at;
