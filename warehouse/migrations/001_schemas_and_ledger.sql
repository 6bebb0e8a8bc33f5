-- Schemas by layer, and the ledgers that make every run traceable.
CREATE SCHEMA IF NOT EXISTS meta;
CREATE SCHEMA IF NOT EXISTS catalogue;
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS marts;
CREATE SCHEMA IF NOT EXISTS quarantine;
CREATE SCHEMA IF NOT EXISTS alerts;

-- One row per run of a source for a period (CLI or Airflow).
CREATE TABLE meta.runs (
    run_id        TEXT PRIMARY KEY,
    source        TEXT NOT NULL,
    period        TEXT NOT NULL,
    trigger       TEXT NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    status        TEXT NOT NULL,            -- running | computed | failed
    message       TEXT
);

-- The fetch ledger: one row per file per attempt (natural key: source, period, file_name, attempt_id).
-- batch_id is content-addressed (source:file:sha256 prefix), so the same bytes are the same batch.
CREATE TABLE meta.batches (
    attempt_id    TEXT PRIMARY KEY,
    run_id        TEXT NOT NULL,
    batch_id      TEXT,
    source        TEXT NOT NULL,
    period        TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    url           TEXT NOT NULL,
    status        TEXT NOT NULL,            -- fetched | missing | validated | landed | failed | rejected
    http_status   INTEGER,
    http_attempts INTEGER NOT NULL DEFAULT 0,
    sha256        TEXT,
    size_bytes    BIGINT,
    archive_path  TEXT,
    fetched_at    TIMESTAMPTZ,
    rows_in       BIGINT,
    rows_landed   BIGINT,
    rows_rejected BIGINT,
    rows_warned   BIGINT,
    report_path   TEXT,
    message       TEXT
);
