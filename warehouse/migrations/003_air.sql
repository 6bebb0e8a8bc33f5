-- Air: parsed rows as received (all 15 types), quarantine, and the marts computed from them.
CREATE TABLE raw.cnemc_air_hourly (
    batch_id      TEXT NOT NULL,
    period        TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    source_line   INTEGER NOT NULL,
    obs_date      DATE NOT NULL,
    hour          SMALLINT NOT NULL,
    type          TEXT NOT NULL,
    station_code  TEXT NOT NULL,
    value         DOUBLE NOT NULL
);

-- Row-level findings, kept whole with rule and reason, linked to the batch (content-addressed) they came
-- from. severity error = held back (not landed); warning = landed and reported. Replaced per batch.
CREATE TABLE quarantine.row_issues (
    source        TEXT NOT NULL,
    period        TEXT NOT NULL,
    batch_id      TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    source_line   INTEGER,
    column_name   TEXT,
    value_text    TEXT,
    rule          TEXT NOT NULL,
    severity      TEXT NOT NULL,
    reason        TEXT NOT NULL
);

-- The source lines that row issues point at, stored once per line (a wide line holds many cells).
CREATE TABLE quarantine.source_lines (
    batch_id      TEXT NOT NULL,
    source_line   INTEGER NOT NULL,
    record        TEXT NOT NULL,
    PRIMARY KEY (batch_id, source_line)
);

-- Daily facts for stations and regions (a region is a virtual station, RULES.md §1.4).
CREATE TABLE marts.air_daily (
    entity_kind   TEXT NOT NULL,             -- station | region
    entity_code   TEXT NOT NULL,
    obs_date      DATE NOT NULL,
    variant       TEXT NOT NULL,             -- raw | dust_deducted
    so2           DOUBLE, no2 DOUBLE, co DOUBLE, pm10 DOUBLE, pm25 DOUBLE,
    o3_8h_max     DOUBLE, o3_1h_max DOUBLE,
    n_so2 INTEGER, n_no2 INTEGER, n_co INTEGER, n_pm10 INTEGER, n_pm25 INTEGER,
    n_o3_8h INTEGER, n_o3_1h INTEGER,
    aqi_standard  TEXT NOT NULL,
    aqi           INTEGER,
    aqi_valid     BOOLEAN NOT NULL,
    good          BOOLEAN,
    primary_pollutants TEXT,
    capped        BOOLEAN NOT NULL,
    complete      BOOLEAN NOT NULL,
    PRIMARY KEY (entity_kind, entity_code, obs_date, variant)
);

-- Indicator values: month and year-to-date, with coverage, rules version and lineage.
CREATE TABLE marts.indicator_values (
    indicator_code TEXT NOT NULL,
    region_code   TEXT NOT NULL,
    period        TEXT NOT NULL,
    period_type   TEXT NOT NULL,             -- month | ytd
    variant       TEXT NOT NULL,
    value         DOUBLE,
    numerator     DOUBLE,
    denominator   DOUBLE,
    valid_days    INTEGER NOT NULL,
    calendar_days INTEGER NOT NULL,
    coverage_ok   BOOLEAN NOT NULL,
    rules_version TEXT NOT NULL,
    batch_ids     TEXT[] NOT NULL,
    PRIMARY KEY (indicator_code, region_code, period, period_type, variant)
);

-- The alert ledger: one alert per indicator+region+period+kind; sent again only when its fingerprint changes.
CREATE TABLE alerts.ledger (
    alert_key       TEXT PRIMARY KEY,
    indicator_code  TEXT NOT NULL,
    region_code     TEXT NOT NULL,
    period          TEXT NOT NULL,
    kind            TEXT NOT NULL,           -- below_target
    variant         TEXT NOT NULL,
    status          TEXT NOT NULL,           -- open | closed
    value           DOUBLE,
    target_value    DOUBLE,
    comparator      TEXT,
    coverage_ok     BOOLEAN,
    fingerprint     TEXT NOT NULL,
    sent_fingerprint TEXT,
    delivery_status TEXT NOT NULL,           -- pending | sent | failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    recipients_to   TEXT,
    recipients_cc   TEXT,
    first_raised_at TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ,
    eml_path        TEXT
);
