-- The current report of every project and month up to $period: the rows of the latest accepted file of the
-- department and month (a corrected sheet replaces the earlier one). Blank rows (not reported) included.
WITH latest AS (
    SELECT department_code, period, arg_max(batch_id, received_at) AS batch_id
    FROM raw.project_reports
    WHERE period <= $period
    GROUP BY department_code, period
)
SELECT r.project_code, r.period, r.progress_pct, r.invest_month_wan, r.invest_to_date_wan, r.milestone_reached,
       r.benefits, r.output_value, r.output_unit, r.problems, r.batch_id
FROM raw.project_reports AS r
JOIN latest USING (department_code, period, batch_id)
ORDER BY r.period, r.project_code;
