-- Per region (a facility counts for its own region and every ancestor), month from $first_period to $last_period
-- (the caller spans the year to date and the rolling 12 months), kind and item: the total in base units (summed
-- in DECIMAL), the reporting facilities and the batches. A 旗县区 code not in the catalogue counts for its 盟市
-- (first four digits + 00), which the suite checked is known.
WITH located AS (
    SELECT w.*, coalesce(r.region_code, left(w.region_code, 4) || '00') AS known_region
    FROM raw.waste_quantities AS w
    LEFT JOIN catalogue.regions AS r ON r.region_code = w.region_code
    WHERE w.period BETWEEN $first_period AND $last_period
)
SELECT
    a.ancestor_code AS region_code,
    w.period,
    w.kind,
    w.item,
    CAST(sum(CAST(w.value AS DECIMAL(24, 6))) AS DOUBLE) AS total,
    list(DISTINCT w.facility_id ORDER BY w.facility_id) AS facilities,
    list(DISTINCT w.batch_id ORDER BY w.batch_id) AS batch_ids
FROM located AS w
JOIN staging.int_region_ancestors AS a ON a.region_code = w.known_region
GROUP BY ALL
ORDER BY region_code, period, kind, item;
