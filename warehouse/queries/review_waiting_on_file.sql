-- Reviews still waiting on a file of the source and month (a correction must not overtake them).
SELECT review_id FROM review.reviews
WHERE source = $source AND period = $period AND state = 'pending' AND list_contains(files, $file_name)
ORDER BY created_at;
