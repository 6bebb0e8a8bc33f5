-- What the batches named by value revisions were ($batch_ids): the source, the month and the file each came in,
-- and for a department's submission the department that sent it — so a revision reads "固废与污水2025年1月数据
-- 重新交付" instead of a batch id. A batch fetched more than once is the same bytes: one row each.
SELECT DISTINCT b.batch_id, b.source, b.period, b.file_name, d.name_zh AS department_name
FROM meta.batches AS b
LEFT JOIN (SELECT DISTINCT batch_id, department_code FROM raw.submission_values
           WHERE list_contains($batch_ids, batch_id)) AS s ON s.batch_id = b.batch_id
LEFT JOIN catalogue.departments AS d ON d.department_code = s.department_code
WHERE list_contains($batch_ids, b.batch_id)
ORDER BY b.batch_id;
