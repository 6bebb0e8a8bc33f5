-- Steward review: a batch (an ingestion run's files) with error-severity findings or a breach of the stop threshold
-- waits for a data steward's decision before anything of it is landed. One review per ingestion run.
CREATE SCHEMA IF NOT EXISTS review;

CREATE TABLE review.reviews (
    review_id     TEXT PRIMARY KEY,           -- the ledger run id of the ingestion run
    source        TEXT NOT NULL,
    period        TEXT NOT NULL,
    batch_ids     TEXT[] NOT NULL,            -- the run's validated batches
    files         TEXT[] NOT NULL,
    rows_in       BIGINT NOT NULL,
    rows_bad      BIGINT NOT NULL,            -- rows failing error rules (quarantined unless accepted)
    cells_lost    BIGINT NOT NULL,            -- values no option can land (unreadable cells or files)
    breach        TEXT,                       -- why the stop threshold stops it, when it does
    rule_counts   TEXT NOT NULL,              -- JSON {rule: findings}
    reports       TEXT[] NOT NULL,
    state         TEXT NOT NULL,              -- pending | decided
    waits_in      TEXT NOT NULL,              -- airflow | warehouse (a run without a scheduler, policy `hold`)
    dag_id        TEXT,
    dag_run_id    TEXT,
    task_id       TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    decided_at    TIMESTAMPTZ
);

-- The decision log: every decision on a review and every correction, append-only.
CREATE TABLE review.decisions (
    decision_id      TEXT PRIMARY KEY,
    review_id        TEXT NOT NULL,
    source           TEXT NOT NULL,
    period           TEXT NOT NULL,
    option           TEXT NOT NULL,           -- accept_clean | accept_all | reject | correction
    reason           TEXT,
    decided_by       TEXT NOT NULL,           -- the steward's user id; `timeout` / `policy:<name>` otherwise
    decided_at       TIMESTAMPTZ NOT NULL,
    via              TEXT NOT NULL,           -- airflow | cli | timeout | policy
    batch_ids        TEXT[] NOT NULL,         -- the batches the decision applies to (a correction: the new one first)
    rows_landed      BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,         -- left out by this decision
    rows_overridden  BIGINT NOT NULL,         -- landed although they fail an error rule (accept_all)
    resulting_state  TEXT NOT NULL,           -- one line: what the warehouse holds for the period now
    correction_of    TEXT                     -- the corrected batch (option = correction)
);

-- Indicator values computed from data a steward accepted against its error rules carry those batches.
ALTER TABLE marts.indicator_values ADD COLUMN overridden_batch_ids TEXT[];
