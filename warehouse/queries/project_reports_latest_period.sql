-- The latest month any project sheet was landed for (NULL: none yet).
SELECT max(period) FROM raw.project_reports
