-- Whether a department code is in the catalogue (an inbox file names its sender by it).
SELECT 1 FROM catalogue.departments WHERE department_code = $department_code
