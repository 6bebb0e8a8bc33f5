-- Monthly bulletin, steward review: every decision review.decisions logged for $period (any source, every region:
-- the sources are shared), oldest first — who decided what, why, and what the warehouse holds for the period after.
SELECT decision_id, source, option, reason, decided_by, decided_at, via, rows_landed, rows_quarantined,
       rows_overridden, resulting_state, correction_of
FROM review.decisions
WHERE period = $period
ORDER BY decided_at, decision_id;
