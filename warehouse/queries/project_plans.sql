-- Every catalogued project with its plan (years, budget, milestones as year -> cumulative %), its owner and the
-- region whose plan lists it.
SELECT p.project_code, p.region_code, p.seq, p.name_zh, p.domain, p.start_year, p.end_year, p.years_text,
       p.budget_wan, p.department_code, d.name_zh AS department_name, p.project_type, p.attainment_indicator,
       p.indicator_text, coalesce(m.milestones, map()) AS milestones, r.name_zh AS region_name
FROM catalogue.projects AS p
JOIN catalogue.departments AS d USING (department_code)
JOIN catalogue.regions AS r ON r.region_code = p.region_code
LEFT JOIN (SELECT project_code, map(list(year ORDER BY year), list(planned_share ORDER BY year)) AS milestones
           FROM catalogue.project_milestones GROUP BY project_code) AS m USING (project_code)
ORDER BY p.region_code, p.seq;
