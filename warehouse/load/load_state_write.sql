-- Which catalogue files were loaded, from where and when (one row: the latest load).
DELETE FROM catalogue.load_state;
INSERT INTO catalogue.load_state VALUES ($fingerprint, $folder, $loaded_at);
