-- The latest logged decision of a review.
SELECT option FROM review.decisions WHERE review_id = $review_id ORDER BY decided_at DESC LIMIT 1;
