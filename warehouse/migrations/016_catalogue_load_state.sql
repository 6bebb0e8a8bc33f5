-- Which catalogue the warehouse holds: the fingerprint of the CSV files last loaded (tasks.catalogue.load.refresh
-- loads them again only when they changed, instead of on every connection).
CREATE TABLE IF NOT EXISTS catalogue.load_state (
    fingerprint TEXT NOT NULL,
    folder      TEXT NOT NULL,
    loaded_at   TIMESTAMPTZ NOT NULL
);
