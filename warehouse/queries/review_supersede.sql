-- Older reviews still waiting on any of these files of the source and month: a newer delivery replaces them, so
-- deciding them later must not land their rows over the newer ones.
UPDATE review.reviews SET state = 'superseded', decided_at = $now
WHERE source = $source AND period = $period AND state = 'pending' AND review_id <> $review_id
  AND list_has_any(files, $files)
RETURNING review_id;
