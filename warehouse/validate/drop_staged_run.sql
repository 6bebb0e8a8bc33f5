-- A run's staged rows, once decided (landed or refused) or superseded by a newer delivery.
DELETE FROM {staged} WHERE review_run = $run_id
