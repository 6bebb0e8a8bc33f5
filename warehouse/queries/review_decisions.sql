-- The decision log, newest first: one month's ($period) or every month's.
SELECT decision_id, review_id, source, period, option, reason, decided_by, decided_at, via, batch_ids, rows_landed,
       rows_quarantined, rows_overridden, resulting_state, correction_of
FROM review.decisions
WHERE $period IS NULL OR period = $period
ORDER BY decided_at DESC
LIMIT $limit;
