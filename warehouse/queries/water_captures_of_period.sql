-- How many polls (batches) landed readings of the month $first .. $last.
SELECT count(DISTINCT batch_id) FROM raw.water_readings
WHERE obs_time >= CAST($first AS TIMESTAMP) AND obs_time < CAST($last AS TIMESTAMP) + INTERVAL 1 DAY;
