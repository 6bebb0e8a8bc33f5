-- One project's status for a month (tasks/project_status.py), replacing what the month held.
INSERT OR REPLACE INTO marts.project_status
VALUES ($project_code, $period, $department_code, $status, $planned_pct, $progress_pct, $planned_invest_wan,
        $invest_to_date_wan, $behind_months, $reasons, $batch_id);
