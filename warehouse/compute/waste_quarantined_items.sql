-- The rows held back in quarantine from the waste deliveries now in force (per month and file, the batch landed
-- last), month $first_period to $last_period, per region (a facility counts for its own region and every ancestor,
-- as in waste_item_totals), kind and item: the facilities whose row did not land. The rate computation needs them
-- because a quarantined row leaves no trace in raw.waste_quantities: without them a numerator could be set over a
-- denominator that lacks a facility's quantity. The item is the issue's column (the adapter's column key);
-- facility, region and kind are read from the quoted source line (period,facility_id,facility_name,region_code,
-- kind,item,...), and a line whose fields do not line up with its item (cut, or an unquoted comma) is left out.
WITH in_force AS (
    SELECT arg_max(batch_id, fetched_at) AS batch_id
    FROM meta.batches
    WHERE source = 'waste' AND status = 'landed' AND period BETWEEN $first_period AND $last_period
    GROUP BY period, file_name
),
held AS (
    SELECT
        q.period,
        q.column_name AS item,
        regexp_extract(l.record,
                       '^(?:"(?:[^"]|"")*"|[^,]*),("(?:[^"]|"")*"|[^,]*),(?:"(?:[^"]|"")*"|[^,]*),'
                       || '("(?:[^"]|"")*"|[^,]*),("(?:[^"]|"")*"|[^,]*),("(?:[^"]|"")*"|[^,]*)(?:,|$)',
                       ['facility_id', 'region_code', 'kind', 'item']) AS f
    FROM quarantine.row_issues AS q
    JOIN in_force USING (batch_id)
    JOIN quarantine.source_lines AS l USING (batch_id, source_line)
    WHERE q.source = 'waste' AND q.severity = 'error' AND q.column_name IS NOT NULL
),
located AS (
    SELECT period, item, trim(f.facility_id, ' "') AS facility_id, trim(f.kind, ' "') AS kind,
           trim(f.region_code, ' "') AS region_code
    FROM held
    WHERE trim(f.item, ' "') = item AND trim(f.facility_id, ' "') <> ''
)
SELECT
    a.ancestor_code AS region_code,
    w.period,
    w.kind,
    w.item,
    list(DISTINCT w.facility_id ORDER BY w.facility_id) AS facilities
FROM located AS w
LEFT JOIN catalogue.regions AS r ON r.region_code = w.region_code
JOIN staging.int_region_ancestors AS a ON a.region_code = coalesce(r.region_code, left(w.region_code, 4) || '00')
GROUP BY ALL
ORDER BY region_code, period, kind, item;
