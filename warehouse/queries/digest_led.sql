-- A monthly digest's summary table: every indicator the department at $email leads (the nearest department of the
-- lead role: its own region, else the parent's), as judged for $period, with the status of $previous beside it
-- (what changed since last month; had_previous: $previous has a row, whose status is NULL when it had no target then,
-- as digest_changed_leads counts a change). Indicators not monitored in a region are left out: nobody leads them.
WITH cur AS (
    SELECT * FROM marts.indicator_status WHERE period = $period AND status IS NOT NULL AND status <> '未监测'
),
prev AS (
    SELECT indicator_code, region_code, variant, status, value FROM marts.indicator_status WHERE period = $previous
)
SELECT c.indicator_code, c.region_code, c.variant, c.status, c.value, c.comparator, c.target_value, c.target_text,
       c.target_kind,
       c.projected_value, c.projected_from, c.last_year_value, c.basis_period_type, c.reason,
       p.status AS previous_status, p.value AS previous_value, p.indicator_code IS NOT NULL AS had_previous,
       i.name_zh AS indicator_name, i.unit, i.evaluation_digits, r.name_zh AS region_name
FROM cur AS c
JOIN catalogue.indicators AS i USING (indicator_code)
JOIN staging.int_region_departments AS lead ON lead.region_code = c.region_code AND lead.role = i.lead_department
LEFT JOIN prev AS p ON p.indicator_code = c.indicator_code AND p.region_code = c.region_code AND p.variant = c.variant
LEFT JOIN catalogue.regions AS r ON r.region_code = c.region_code
WHERE lower(lead.email) = lower($email)
ORDER BY c.region_code, i.national_no NULLS LAST, i.sub_no NULLS LAST, c.indicator_code, c.variant;
