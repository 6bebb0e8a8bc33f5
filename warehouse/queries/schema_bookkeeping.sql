-- The warehouse's own bookkeeping: which migrations ran, and the digest of the models last made.
CREATE TABLE IF NOT EXISTS main.schema_migrations (version TEXT PRIMARY KEY, applied_at TIMESTAMPTZ);
CREATE TABLE IF NOT EXISTS main.schema_models (digest TEXT, applied_at TIMESTAMPTZ);
