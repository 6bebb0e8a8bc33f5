-- The files delivered as these batches ($ids), for a reader: which source, which file.
SELECT DISTINCT batch_id, source, file_name
FROM meta.batches
WHERE list_contains($ids, batch_id)
ORDER BY source, file_name;
