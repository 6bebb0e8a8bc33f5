-- Per region (a facility counts for its own region and every ancestor), month of $year up to $month, kind and
-- item: the total in base units (summed in DECIMAL), the reporting facilities and the batches. A 旗县区 code not
-- in the catalogue counts for its 盟市 (first four digits + 00), which the suite checked is known.
WITH located AS (
    SELECT w.*, coalesce(r.region_code, left(w.region_code, 4) || '00') AS known_region
    FROM raw.waste_quantities AS w
    LEFT JOIN catalogue.regions AS r ON r.region_code = w.region_code
    WHERE left(w.period, 4) = CAST($year AS TEXT) AND CAST(right(w.period, 2) AS INTEGER) <= $month
)
SELECT
    a.ancestor_code AS region_code,
    CAST(right(w.period, 2) AS INTEGER) AS month,
    w.kind,
    w.item,
    CAST(sum(CAST(w.value AS DECIMAL(24, 6))) AS DOUBLE) AS total,
    list(DISTINCT w.facility_id ORDER BY w.facility_id) AS facilities,
    list(DISTINCT w.batch_id ORDER BY w.batch_id) AS batch_ids
FROM located AS w
JOIN staging.int_region_ancestors AS a ON a.region_code = w.known_region
GROUP BY ALL
ORDER BY region_code, month, kind, item;
