-- Who hears about an indicator of a region: the lead department, the cooperating departments, the leading group
-- office (on escalation) — each the nearest department with that role (its own region, else the parent's).
SELECT i.indicator_code, r.region_code, r.name_zh AS region_name, i.name_zh AS indicator_name, i.unit,
       i.evaluation_digits,
       lead.name_zh AS lead_name, lead.email AS lead_email,
       list(DISTINCT coop.email) FILTER (WHERE coop.email IS NOT NULL) AS cooperating_emails,
       lg.email AS leading_group_email
FROM catalogue.indicators AS i
CROSS JOIN catalogue.regions AS r
LEFT JOIN staging.int_region_departments AS lead ON lead.region_code = r.region_code AND lead.role = i.lead_department
LEFT JOIN staging.int_region_departments AS coop
  ON coop.region_code = r.region_code AND list_contains(i.cooperating_departments, coop.role)
LEFT JOIN staging.int_region_departments AS lg ON lg.region_code = r.region_code AND lg.role = 'lxbgs'
WHERE i.indicator_code = $indicator_code AND r.region_code = $region_code
GROUP BY ALL;
