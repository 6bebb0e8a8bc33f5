-- Indicators departments report: submitted values, survey results and tasks (1 done, 0 not done).
SELECT indicator_code FROM catalogue.indicators WHERE obtained_by IN ('submitted', 'survey', 'task')
