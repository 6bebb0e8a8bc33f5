-- A run waiting for a steward's decision; a retried validation leaves a registered review as it is (pending or decided).
INSERT OR IGNORE INTO review.reviews
    (review_id, source, period, batch_ids, files, rows_in, rows_bad, cells_lost, breach, rule_counts, reports,
     state, waits_in, dag_id, dag_run_id, task_id, created_at, decided_at)
VALUES ($review_id, $source, $period, $batch_ids, $files, $rows_in, $rows_bad, $cells_lost, $breach, $rule_counts,
        $reports, 'pending', $waits_in, $dag_id, $dag_run_id, $task_id, $now, NULL);
