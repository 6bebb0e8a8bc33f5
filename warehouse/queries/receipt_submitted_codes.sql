-- The indicators a department has submitted a value for ($department, $period): accepted files only (a rejected
-- file lands nothing in raw.submission_values).
SELECT DISTINCT indicator_code
FROM raw.submission_values
WHERE department_code = $department AND period = $period AND value IS NOT NULL;
