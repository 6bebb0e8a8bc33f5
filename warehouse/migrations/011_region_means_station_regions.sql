-- Regions above the city are the mean of their cities (RULES §1.4): a value's coverage also says how many of the
-- units that had a value were complete (for a region above the city: cities with a complete value).
-- Stations may evaluate regions besides their own city (2202A/2203A stand in 锡林浩特市 and serve it and 锡林郭勒盟):
-- the mapping is catalogue/station_regions.csv, loaded here on every writer connection.
ALTER TABLE marts.indicator_values ADD COLUMN coverage_complete INTEGER;  -- NULL: the unit has no such count

CREATE TABLE catalogue.station_regions (
    station_code  TEXT NOT NULL,
    region_code   TEXT NOT NULL,             -- a region the station evaluates besides its own city's
    valid_from    DATE NOT NULL,             -- first day it evaluates the region
    valid_to      DATE,                      -- last day (NULL: still does)
    note          TEXT,
    PRIMARY KEY (station_code, region_code, valid_from)
);
