-- Water, waste and departmental submissions land beside air; indicator values get a coverage that is not
-- only days (sections for water, facilities for waste, one submission for submitted values) and a lineage.

-- Surface-water real-time readings as captured, one row per section x time x parameter cell, every poll kept.
-- A reading captured twice is stored twice (nothing lost) and counted once (staging dedups by section+time).
CREATE TABLE raw.water_readings (
    batch_id       TEXT NOT NULL,
    period         TEXT NOT NULL,             -- month of the fetch time (the poll), not of the reading
    file_name      TEXT NOT NULL,
    source_line    INTEGER NOT NULL,
    province       TEXT NOT NULL,
    basin          TEXT NOT NULL,
    section_name   TEXT NOT NULL,
    obs_time       TIMESTAMP NOT NULL,        -- Asia/Shanghai local time, year inferred from fetched_at
    fetched_at     TIMESTAMP NOT NULL,
    parameter      TEXT NOT NULL,
    unit           TEXT,
    value          DOUBLE,                    -- the tooltip's 原始值; NULL unless flag = 'value'
    value_text     TEXT,
    display        TEXT,
    flag           TEXT NOT NULL,             -- value | missing | not_measured | filtered | unparsable
    site_status    TEXT NOT NULL,
    class_reported TEXT
);

-- Surface-water sections: where they are and how they are judged; the assessment lists per region.
CREATE TABLE catalogue.water_sections (
    section_code  TEXT PRIMARY KEY,
    section_name  TEXT NOT NULL,
    province      TEXT NOT NULL,
    basin         TEXT NOT NULL,
    river         TEXT,
    region_code   TEXT,
    water_body    TEXT NOT NULL,              -- river | lake (lakes and reservoirs)
    assessed      BOOLEAN NOT NULL,
    note          TEXT
);

CREATE TABLE catalogue.water_assessment (
    region_code   TEXT NOT NULL,
    section_code  TEXT NOT NULL,
    from_year     INTEGER NOT NULL,
    to_year       INTEGER,
    note          TEXT,
    PRIMARY KEY (region_code, section_code, from_year)
);

-- Each section's month: the mean of every parameter over valid readings, and the class (RULES.md §2.3).
CREATE TABLE marts.water_section_month (
    section_code    TEXT,                     -- NULL for a section not in the catalogue
    province        TEXT NOT NULL,
    basin           TEXT NOT NULL,
    section_name    TEXT NOT NULL,
    period          TEXT NOT NULL,
    water_body      TEXT NOT NULL,
    parameter_means TEXT NOT NULL,            -- JSON object: parameter -> mean of valid readings
    parameter_classes TEXT NOT NULL,          -- JSON object: evaluated parameter -> class 1..6
    readings        INTEGER NOT NULL,         -- distinct section+time readings with status 正常
    readings_all    INTEGER NOT NULL,         -- distinct readings whatever the status
    water_class     INTEGER,                  -- 1..5, 6 = 劣Ⅴ; NULL when nothing could be evaluated
    worst_parameters TEXT,
    rules_version   TEXT NOT NULL,
    batch_ids       TEXT[] NOT NULL,
    PRIMARY KEY (province, basin, section_name, period)
);

-- The solid-waste and sewage system's monthly quantities, converted to base units (吨, m³).
CREATE TABLE raw.waste_quantities (
    batch_id       TEXT NOT NULL,
    period         TEXT NOT NULL,
    file_name      TEXT NOT NULL,
    source_line    INTEGER NOT NULL,
    facility_id    TEXT NOT NULL,
    facility_name  TEXT NOT NULL,
    region_code    TEXT NOT NULL,
    kind           TEXT NOT NULL,
    item           TEXT NOT NULL,
    value          DOUBLE NOT NULL,
    unit           TEXT NOT NULL,
    value_reported DOUBLE NOT NULL,
    unit_reported  TEXT NOT NULL,
    note           TEXT
);

-- Departmental submissions: every accepted row of every accepted file (history); the current value of a
-- department+period is the latest accepted file's (staging.stg_submissions__current).
CREATE TABLE raw.submission_values (
    batch_id        TEXT NOT NULL,
    period          TEXT NOT NULL,
    file_name       TEXT NOT NULL,
    source_line     INTEGER NOT NULL,
    department_code TEXT NOT NULL,
    sheet           TEXT,
    cell            TEXT NOT NULL,
    indicator_code  TEXT NOT NULL,
    value           DOUBLE,
    unit            TEXT,
    note            TEXT,
    received_at     TIMESTAMPTZ NOT NULL
);

-- Inbox files: what arrived, what it was identified as, where it went, and the reply sent.
CREATE TABLE meta.inbox_files (
    file_id         TEXT PRIMARY KEY,
    received_name   TEXT NOT NULL,            -- the name as dropped in the inbox (may be odd)
    sha256          TEXT NOT NULL,
    size_bytes      BIGINT NOT NULL,
    received_at     TIMESTAMPTZ NOT NULL,
    department_code TEXT,
    period          TEXT,
    run_id          TEXT,
    batch_id        TEXT,
    outcome         TEXT NOT NULL,            -- accepted | rejected
    reason          TEXT,
    moved_to        TEXT NOT NULL,
    reply_to        TEXT,
    reply_status    TEXT NOT NULL,            -- pending | sent | failed | none
    reply_eml       TEXT,
    reply_error     TEXT
);

ALTER TABLE marts.indicator_values ALTER COLUMN valid_days DROP NOT NULL;
ALTER TABLE marts.indicator_values ALTER COLUMN calendar_days DROP NOT NULL;
ALTER TABLE marts.indicator_values ADD COLUMN coverage_unit TEXT;      -- days | sections | facilities | submission
ALTER TABLE marts.indicator_values ADD COLUMN coverage_valid INTEGER;  -- units that counted
ALTER TABLE marts.indicator_values ADD COLUMN coverage_expected INTEGER;
ALTER TABLE marts.indicator_values ADD COLUMN notes TEXT;              -- e.g. capped at 100
ALTER TABLE marts.indicator_values ADD COLUMN lineage TEXT;            -- JSON: submission cell, file, time, ...
UPDATE marts.indicator_values
SET coverage_unit = 'days', coverage_valid = valid_days, coverage_expected = calendar_days;

-- The plausible range of a value (submission templates validate against it in the sheet and on ingest).
ALTER TABLE catalogue.indicators ADD COLUMN min_value DOUBLE;
ALTER TABLE catalogue.indicators ADD COLUMN max_value DOUBLE;
