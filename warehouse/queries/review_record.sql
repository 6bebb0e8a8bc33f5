-- Append a decision to the log and close its review.
INSERT INTO review.decisions
    (decision_id, review_id, source, period, option, reason, decided_by, decided_at, via, batch_ids, rows_landed,
     rows_quarantined, rows_overridden, resulting_state, correction_of)
VALUES ($decision_id, $review_id, $source, $period, $option, $reason, $decided_by, $decided_at, $via, $batch_ids,
        $rows_landed, $rows_quarantined, $rows_overridden, $resulting_state, $correction_of);
UPDATE review.reviews SET state = 'decided', decided_at = $decided_at WHERE review_id = $review_id;
