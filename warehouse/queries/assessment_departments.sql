-- Departments by region and role, to resolve an indicator's lead role to the department that answers for it.
SELECT d.department_code, d.region_code, d.role, d.name_zh, r.parent_code
FROM catalogue.departments AS d
JOIN catalogue.regions AS r USING (region_code);
