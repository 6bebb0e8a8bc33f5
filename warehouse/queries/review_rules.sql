-- The review's findings by rule: how many, of which severity, why.
SELECT rule, severity, any_value(reason) AS reason, count(*) AS findings,
       count(DISTINCT batch_id) AS files
FROM quarantine.row_issues WHERE list_contains($batch_ids, batch_id)
GROUP BY rule, severity
ORDER BY severity, findings DESC, rule;
