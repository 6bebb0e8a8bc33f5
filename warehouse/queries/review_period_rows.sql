-- How many rows of the source's period are landed now (what a rejection keeps), from earlier runs.
SELECT coalesce(sum(rows_landed), 0) FROM meta.batches
WHERE source = $source AND period = $period AND status = 'landed' AND run_id <> $review_id;
