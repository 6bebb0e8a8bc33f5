-- A decided run replaces, in its period, the landed rows of the files (or batches) it delivered again ({key}:
-- file_name for a feed, batch_id for a form, whose every delivery is kept); rows of other files stay.
DELETE FROM {raw} WHERE period = $period AND list_contains($keys, {key})
