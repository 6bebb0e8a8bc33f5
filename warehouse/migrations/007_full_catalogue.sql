-- The whole indicator system: sub-indicators, domains, task groups, attribute, national threshold, how a value is
-- obtained, frequency, cooperating departments; targets that are a value, a task or the level the higher
-- authority assigns (configured per year); the baselines the plans report.
ALTER TABLE catalogue.indicators ADD COLUMN sub_no INTEGER;
ALTER TABLE catalogue.indicators ADD COLUMN domain TEXT;
ALTER TABLE catalogue.indicators ADD COLUMN task_group TEXT;
ALTER TABLE catalogue.indicators ADD COLUMN attribute TEXT;             -- binding | reference | unknown
ALTER TABLE catalogue.indicators ADD COLUMN national_threshold TEXT;
ALTER TABLE catalogue.indicators ADD COLUMN frequency TEXT;             -- monthly | annual
ALTER TABLE catalogue.indicators ADD COLUMN cooperating_departments TEXT[];
ALTER TABLE catalogue.indicators ADD COLUMN note TEXT;

ALTER TABLE catalogue.targets ALTER COLUMN target_value DROP NOT NULL;
ALTER TABLE catalogue.targets ADD COLUMN target_kind TEXT;              -- value | task | assigned
ALTER TABLE catalogue.targets ADD COLUMN target_text TEXT;

CREATE TABLE catalogue.assigned_targets (
    region_code    TEXT NOT NULL,
    indicator_code TEXT NOT NULL,
    year           INTEGER NOT NULL,
    target_value   DOUBLE NOT NULL,
    source         TEXT NOT NULL,
    note           TEXT,
    PRIMARY KEY (region_code, indicator_code, year)
);

CREATE TABLE catalogue.baselines (
    region_code    TEXT NOT NULL,
    indicator_code TEXT NOT NULL,
    year           INTEGER NOT NULL,
    value          DOUBLE,
    value_text     TEXT,
    source         TEXT NOT NULL,
    note           TEXT,
    PRIMARY KEY (region_code, indicator_code, year)
);

-- The evaluation of every indicator with a target (or a value) in a region, per period (RULES.md §4):
-- 达标 / 未达标 / 数据不足 / 待报送, the value it was judged on and why.
CREATE TABLE marts.indicator_status (
    indicator_code    TEXT NOT NULL,
    region_code       TEXT NOT NULL,
    period            TEXT NOT NULL,
    basis_period_type TEXT,                    -- ytd | submitted | NULL (nothing to judge yet)
    basis_period      TEXT,                    -- the period of the value judged (a submitted annual value carries)
    variant           TEXT NOT NULL,
    value             DOUBLE,
    coverage_ok       BOOLEAN,
    target_kind       TEXT,                    -- value | task | assigned | NULL (no target)
    comparator        TEXT,
    target_value      DOUBLE,
    target_text       TEXT,
    status            TEXT,                    -- NULL: no target in this region and year (nothing to judge)
    reason            TEXT NOT NULL,
    PRIMARY KEY (indicator_code, region_code, period)
);
