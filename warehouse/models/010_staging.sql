-- Staging views: rename, cast, select; no change of grain. Re-created by a writer when the models change or one is missing.

-- The six pollutants' hourly rows (derived types *_24h, O3_8h, AQI stay in raw, used only as cross-checks).
CREATE OR REPLACE VIEW staging.stg_cnemc_air__hourly AS
SELECT
    batch_id,
    period,
    station_code,
    obs_date,
    hour,
    CAST(obs_date AS TIMESTAMP) + to_hours(hour) AS ts,
    CASE type WHEN 'PM2.5' THEN 'pm25' WHEN 'PM10' THEN 'pm10' WHEN 'SO2' THEN 'so2'
              WHEN 'NO2' THEN 'no2' WHEN 'O3' THEN 'o3' WHEN 'CO' THEN 'co' END AS pollutant,
    value
FROM raw.cnemc_air_hourly
WHERE type IN ('PM2.5', 'PM10', 'SO2', 'NO2', 'O3', 'CO');

-- Station versions with the first day each is taken to be in force: the earliest list also covers the
-- days before it was published ([D], docs/rules.md), later lists from their valid-from date; a start
-- date written in the station's name (启用YYMMDD) moves it later.
CREATE OR REPLACE VIEW staging.stg_catalogue__station_versions AS
SELECT
    s.*,
    greatest(
        CASE WHEN s.valid_from = (SELECT min(valid_from) FROM catalogue.stations) THEN DATE '1900-01-01'
             ELSE s.valid_from END,
        coalesce(s.started_on, DATE '1900-01-01')) AS effective_from
FROM catalogue.stations AS s;

-- Which stations evaluate which region (RULES §1.4): a city's (or 旗县区's) own stations, from the station lists'
-- 城市, and the stations catalogue/station_regions.csv adds to a region for the dates it says. Regions above the
-- city (150000) have none: they are the mean of their cities' values (tasks/region_means.py).
CREATE OR REPLACE VIEW staging.int_region_stations AS
SELECT v.region_code, v.station_code, v.effective_from, v.valid_to, v.is_control
FROM staging.stg_catalogue__station_versions AS v
WHERE v.region_code IS NOT NULL
UNION ALL
SELECT m.region_code, v.station_code, greatest(v.effective_from, m.valid_from) AS effective_from,
       least(v.valid_to, m.valid_to) AS valid_to, v.is_control
FROM catalogue.station_regions AS m
JOIN staging.stg_catalogue__station_versions AS v ON v.station_code = m.station_code
WHERE (m.valid_to IS NULL OR v.effective_from <= m.valid_to)
  AND (v.valid_to IS NULL OR v.valid_to >= m.valid_from);
