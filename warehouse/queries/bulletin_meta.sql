-- Monthly bulletin, header: the region's name (NULL for an unknown $region), when the data of $period last
-- changed (the last run of that period or an earlier one that did not fail) and whether $period and $previous
-- were evaluated.
SELECT
    (SELECT name_zh FROM catalogue.regions WHERE region_code = $region) AS region_name,
    (SELECT max(finished_at) FROM meta.runs WHERE period <= $period AND status <> 'failed') AS data_as_of,
    (SELECT count(*) FROM marts.indicator_status WHERE period = $period) AS evaluated,
    (SELECT count(*) FROM marts.indicator_status WHERE period = $previous) AS previous_evaluated;
