-- How many landed rows a steward's correction replaces: those with the natural key of a corrected row ({match}).
SELECT count(*) FROM {raw} AS r WHERE r.period = $period
    AND EXISTS (SELECT 1 FROM {staged} AS s WHERE s.review_run = $run_id AND {match})
