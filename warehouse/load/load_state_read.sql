-- The fingerprint of the catalogue files last loaded (no row: never loaded).
SELECT fingerprint FROM catalogue.load_state
