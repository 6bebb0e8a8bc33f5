-- The landed rows a steward's correction replaces ({match}: the adapter's natural key); the file's other rows stay.
DELETE FROM {raw} AS r WHERE r.period = $period
    AND EXISTS (SELECT 1 FROM {staged} AS s WHERE s.review_run = $run_id AND {match})
