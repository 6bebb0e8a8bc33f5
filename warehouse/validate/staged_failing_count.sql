-- How many of a run's staged rows fail an error rule (landed anyway by accept_all: counted as overridden).
SELECT count(*) FROM {staged} WHERE review_run = $run_id AND failed
