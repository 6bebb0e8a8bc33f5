-- A review by its id or by one of its batches' ids (the latest review of that batch).
SELECT * FROM review.reviews
WHERE review_id = $ref OR list_contains(batch_ids, $ref)
ORDER BY review_id = $ref DESC, created_at DESC
LIMIT 1;
