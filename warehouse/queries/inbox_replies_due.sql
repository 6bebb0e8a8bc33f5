-- Inbox files whose reply has not gone out yet, oldest first, with the department's address when known.
SELECT f.file_id, f.received_name, f.received_at, f.department_code, f.period, f.batch_id, f.outcome, f.reason,
       f.moved_to, d.name_zh AS department_name, d.email AS department_email, r.name_zh AS region_name
FROM meta.inbox_files AS f
LEFT JOIN catalogue.departments AS d USING (department_code)
LEFT JOIN catalogue.regions AS r ON r.region_code = d.region_code
WHERE f.reply_status IN ('pending', 'failed')
ORDER BY f.received_at, f.file_id;
