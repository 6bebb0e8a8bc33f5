-- Catalogue: regions, stations (versioned by valid-from date), indicators, targets, departments.
CREATE TABLE catalogue.regions (
    region_code   TEXT PRIMARY KEY,          -- GB/T 2260
    name_zh       TEXT NOT NULL,
    station_city  TEXT,                      -- the 城市 name station lists use for it
    level         TEXT NOT NULL,             -- province | prefecture | county
    parent_code   TEXT
);

-- A station as a given station list describes it; a list is in force from valid_from until the next list.
CREATE TABLE catalogue.stations (
    station_code  TEXT NOT NULL,
    name_zh       TEXT NOT NULL,
    city_zh       TEXT NOT NULL,
    region_code   TEXT,                      -- NULL when the city's code is not in catalogue.city_codes
    longitude     DOUBLE,
    latitude      DOUBLE,
    is_control    BOOLEAN NOT NULL,          -- 对照点: not an evaluation station
    valid_from    DATE NOT NULL,
    valid_to      DATE,                      -- last day in force (NULL: still in force)
    list_file     TEXT NOT NULL,
    PRIMARY KEY (station_code, valid_from)
);

CREATE TABLE catalogue.departments (
    department_code TEXT PRIMARY KEY,
    region_code   TEXT NOT NULL,
    role          TEXT NOT NULL,             -- e.g. sthjj (生态环境局); indicators name the lead role
    name_zh       TEXT NOT NULL,
    email         TEXT NOT NULL
);

CREATE TABLE catalogue.indicators (
    indicator_code  TEXT PRIMARY KEY,
    national_no     INTEGER,
    name_zh         TEXT NOT NULL,
    name_en         TEXT NOT NULL,
    unit            TEXT NOT NULL,
    direction       TEXT NOT NULL,           -- higher_is_better | lower_is_better
    lead_department TEXT NOT NULL,           -- department role, resolved per region
    obtained_by     TEXT NOT NULL            -- computed | submitted | task
);

CREATE TABLE catalogue.targets (
    region_code     TEXT NOT NULL,
    indicator_code  TEXT NOT NULL,
    year            INTEGER NOT NULL,
    comparator      TEXT NOT NULL,           -- >= | <=
    target_value    DOUBLE NOT NULL,
    variant         TEXT NOT NULL,           -- raw | dust_deducted
    source          TEXT NOT NULL,
    note            TEXT,
    PRIMARY KEY (region_code, indicator_code, year)
);

CREATE TABLE catalogue.dust_days (
    region_code   TEXT NOT NULL,
    obs_date      DATE NOT NULL,
    source        TEXT NOT NULL,
    PRIMARY KEY (region_code, obs_date)
);
