-- The department a digest recipient's address belongs to (none: a recipient outside the departments).
SELECT department_code FROM catalogue.departments WHERE lower(email) = lower($email)
