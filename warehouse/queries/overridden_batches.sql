-- Batches with rows failing error rules whose latest landing decision accepted them anyway (accept_all): values
-- computed from them say so in their lineage.
WITH per_batch AS (
    SELECT unnest(batch_ids) AS batch_id, option, decided_at FROM review.decisions WHERE option <> 'correction'
)
SELECT batch_id FROM per_batch AS d
WHERE EXISTS (SELECT 1 FROM quarantine.row_issues AS q WHERE q.batch_id = d.batch_id AND q.severity = 'error')
QUALIFY row_number() OVER (PARTITION BY batch_id ORDER BY decided_at DESC) = 1 AND option = 'accept_all';
