-- Monthly bulletin, "what changed since last month": every indicator and region whose status or judged value in
-- marts.indicator_status differs between $previous and $period ($region NULL = every region), either side
-- possibly absent. Whether a value moved at the indicator's evaluation precision is decided by the caller.
WITH cur AS (
    SELECT * FROM marts.indicator_status WHERE period = $period
),
prev AS (
    SELECT * FROM marts.indicator_status WHERE period = $previous
),
joined AS (
    SELECT coalesce(c.indicator_code, p.indicator_code) AS indicator_code,
           coalesce(c.region_code, p.region_code) AS region_code,
           p.status AS previous_status, c.status, p.value AS previous_value, c.value,
           p.basis_period AS previous_basis_period, c.basis_period, c.reason
    FROM cur AS c
    FULL OUTER JOIN prev AS p ON p.indicator_code = c.indicator_code AND p.region_code = c.region_code
)
SELECT j.*, r.name_zh AS region_name, i.national_no, i.sub_no, i.name_zh, i.unit, i.direction, i.obtained_by,
       i.evaluation_digits,
       (SELECT count(*) FROM catalogue.indicators AS k WHERE k.national_no = i.national_no) AS sub_count
FROM joined AS j
JOIN catalogue.indicators AS i USING (indicator_code)
LEFT JOIN catalogue.regions AS r USING (region_code)
WHERE ($region IS NULL OR j.region_code = $region)
  AND (j.status IS DISTINCT FROM j.previous_status OR j.value IS DISTINCT FROM j.previous_value)
ORDER BY j.region_code, i.national_no NULLS LAST, i.sub_no NULLS LAST, j.indicator_code;
