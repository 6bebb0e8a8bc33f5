-- Departments and feed operators by address (a digest greets its recipient by name).
SELECT email, name_zh FROM catalogue.departments
UNION ALL
SELECT email, any_value(name_zh) FROM catalogue.feed_operators GROUP BY email;
