-- The projects a department reports, with each one's budget and its last accepted figures before the period
-- (the latest file of the latest earlier month): what a project sheet's rows are checked against.
WITH earlier AS (
    SELECT project_code, period, progress_pct, invest_to_date_wan,
           row_number() OVER (PARTITION BY project_code ORDER BY period DESC, received_at DESC) AS n
    FROM raw.project_reports
    WHERE period < $period AND progress_pct IS NOT NULL
)
SELECT p.project_code, p.name_zh, p.budget_wan, e.period AS previous_period, e.progress_pct AS previous_progress,
       e.invest_to_date_wan AS previous_invest
FROM catalogue.projects AS p
LEFT JOIN earlier AS e ON e.project_code = p.project_code AND e.n = 1
WHERE p.department_code = $department
ORDER BY p.region_code, p.seq;
