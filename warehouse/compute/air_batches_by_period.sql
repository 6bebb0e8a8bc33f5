-- Lineage: the batches landed for each month from $first_period to $last_period.
SELECT period, list(DISTINCT batch_id ORDER BY batch_id) AS batch_ids
FROM raw.cnemc_air_hourly
WHERE period BETWEEN $first_period AND $last_period
GROUP BY period;
