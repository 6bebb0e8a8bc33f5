-- Monthly bulletin, submissions: every file the inbox identified as $period, accepted or rejected
-- ($region NULL = every region; otherwise the files of that region's departments).
SELECT f.received_name, f.received_at, f.department_code, d.name_zh AS department_name, d.region_code,
       f.outcome, f.reason, f.reply_status
FROM meta.inbox_files AS f
LEFT JOIN catalogue.departments AS d ON d.department_code = f.department_code
WHERE f.period = $period AND ($region IS NULL OR d.region_code = $region)
ORDER BY f.received_at, f.received_name;
