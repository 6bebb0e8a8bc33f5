-- Who has received which version of an alert: a digest goes to each recipient (the lead department, every
-- department and office in copy) separately, so each recipient's delivery is recorded on its own. An alert is
-- `sent` in the ledger once every recipient of its current version has it; a failed recipient is retried alone.
CREATE TABLE alerts.deliveries (
    alert_key   TEXT NOT NULL,
    version     TEXT NOT NULL,                -- the alert's fingerprint when delivered (a closing notice: its own)
    recipient   TEXT NOT NULL,
    role        TEXT NOT NULL,                -- lead | copy
    status      TEXT NOT NULL,                -- sent | failed
    attempts    INTEGER NOT NULL,
    last_error  TEXT,
    digest_id   TEXT,
    eml_path    TEXT,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (alert_key, version, recipient)
);

-- How many times an alert fired again after closing: part of its version, so owners who were told it closed are
-- told again when it comes back, even with the same facts.
ALTER TABLE alerts.ledger ADD COLUMN cycle INTEGER DEFAULT 0;
