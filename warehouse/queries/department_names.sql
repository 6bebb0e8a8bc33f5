-- Departments by address (a digest greets its recipient by name).
SELECT email, name_zh FROM catalogue.departments;
