-- Departments whose led indicators changed status between $previous and $period: they get the month's digest
-- even without a due alert (what changed since last month).
SELECT DISTINCT lead.email
FROM marts.indicator_status AS c
JOIN marts.indicator_status AS p
  ON p.indicator_code = c.indicator_code AND p.region_code = c.region_code AND p.variant = c.variant
 AND p.period = $previous
JOIN catalogue.indicators AS i ON i.indicator_code = c.indicator_code
JOIN staging.int_region_departments AS lead ON lead.region_code = c.region_code AND lead.role = i.lead_department
WHERE c.period = $period AND c.status IS NOT NULL AND c.status <> '未监测' AND p.status IS DISTINCT FROM c.status
ORDER BY lead.email;
