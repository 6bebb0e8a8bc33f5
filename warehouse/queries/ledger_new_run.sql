-- Open a run of a source for a period.
INSERT INTO meta.runs (run_id, source, period, trigger, started_at, finished_at, status, message)
VALUES ($run_id, $source, $period, $trigger, $now, NULL, 'running', NULL);
