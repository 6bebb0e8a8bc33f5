-- Drinking-water sources judged item by item (RULES §3; docs/rules.md D6): the catalogue of each region's
-- centralised sources, and every accepted cell of the environment bureaus' monthly source sheets (水源地水质月报).

-- One centralised drinking-water source a region's ratio counts, from from_year to to_year (NULL: still in force).
CREATE TABLE catalogue.drinking_water_sources (
    source_code       TEXT PRIMARY KEY,       -- <region_code>-DWnn
    region_code       TEXT NOT NULL,
    name_zh           TEXT NOT NULL,
    source_kind       TEXT NOT NULL,          -- surface | groundwater
    water_body        TEXT,                   -- surface: river | lake (lakes and reservoirs); groundwater: NULL
    background_items  TEXT[] NOT NULL,        -- items recorded but not judged (natural background: fe, mn)
    from_year         INTEGER NOT NULL,
    to_year           INTEGER,
    source            TEXT NOT NULL,
    note              TEXT
);

-- Every filled cell of every accepted source sheet (history); a department and month's current sheet is its latest
-- accepted file. item = a standard's item code, or 'supply' (the month's water taken, 万吨). A value below the
-- detection limit has value NULL, below_detection true and the limit when one was written (0.004L, <0.004).
CREATE TABLE raw.drinking_water_results (
    batch_id          TEXT NOT NULL,
    period            TEXT NOT NULL,
    file_name         TEXT NOT NULL,
    source_line       INTEGER NOT NULL,
    department_code   TEXT NOT NULL,
    source_code       TEXT NOT NULL,
    item              TEXT NOT NULL,
    value             DOUBLE,
    value_text        TEXT NOT NULL,          -- as written in the cell
    below_detection   BOOLEAN NOT NULL,
    detection_limit   DOUBLE,
    unit              TEXT NOT NULL,
    note              TEXT,
    received_at       TIMESTAMPTZ NOT NULL
);
