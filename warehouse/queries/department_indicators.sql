-- The submitted indicators a department leads (by its role): what its template lists and its files may hold.
SELECT i.indicator_code, i.unit, i.min_value, i.max_value, i.name_zh
FROM catalogue.indicators AS i
JOIN catalogue.departments AS d ON d.role = i.lead_department
WHERE d.department_code = $department AND i.obtained_by IN ('submitted', 'survey', 'task')
ORDER BY i.indicator_code;
