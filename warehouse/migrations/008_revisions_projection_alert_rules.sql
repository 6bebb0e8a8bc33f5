-- Revisions of indicator values (what a value was, what it is now, why), the projected year-end value of each
-- evaluation, and the alert ledger's rule kinds, escalation and closing notices.
CREATE TABLE marts.indicator_value_history (
    indicator_code    TEXT NOT NULL,
    region_code       TEXT NOT NULL,
    period            TEXT NOT NULL,
    period_type       TEXT NOT NULL,
    variant           TEXT NOT NULL,
    old_value         DOUBLE,
    new_value         DOUBLE,                  -- NULL: the value is no longer computed
    old_coverage_ok   BOOLEAN,
    new_coverage_ok   BOOLEAN,
    old_rules_version TEXT,
    new_rules_version TEXT,
    old_batch_ids     TEXT[],
    new_batch_ids     TEXT[],
    reason            TEXT NOT NULL,           -- why, in one line: new delivery, rules changed, submission corrected
    revised_at        TIMESTAMPTZ NOT NULL
);

ALTER TABLE marts.indicator_status ADD COLUMN projected_value DOUBLE;   -- year-end value projected from the YTD
ALTER TABLE marts.indicator_status ADD COLUMN projected_from TEXT;      -- the earlier years it was projected from
ALTER TABLE marts.indicator_status ADD COLUMN projected_meets BOOLEAN;  -- NULL: no projection or no numeric target

ALTER TABLE alerts.ledger ADD COLUMN detail TEXT;                        -- JSON: the facts the rule found
ALTER TABLE alerts.ledger ADD COLUMN escalation INTEGER DEFAULT 0;     -- 1: still open after N months, leading group cc
ALTER TABLE alerts.ledger ADD COLUMN closed_at TIMESTAMPTZ;
ALTER TABLE alerts.ledger ADD COLUMN close_reason TEXT;
ALTER TABLE alerts.ledger ADD COLUMN digest_id TEXT;                     -- the digest email that last carried it

CREATE TABLE catalogue.alert_rules (
    rule           TEXT NOT NULL,             -- below_target | projected_miss | regression_yoy | sustained_decline
                                              -- | missing | thin_data
    indicator_code TEXT NOT NULL,             -- '*' for every indicator; a row per indicator overrides it
    enabled        BOOLEAN NOT NULL,
    tolerance      DOUBLE,                    -- regression_yoy: how much worse than last year, in the value's unit
    months         INTEGER,                   -- sustained_decline: months of decline in a row
    deadline_day   INTEGER,                   -- missing: day of the following month by which data is due
    escalate_after INTEGER,                   -- months an alert stays open before the leading group is in copy
    note           TEXT,
    PRIMARY KEY (rule, indicator_code)
);
