-- Staging views: rename, cast, select; no change of grain. Re-run on every connection (CREATE OR REPLACE).

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

-- Which stations make up which region: the station's own city region and that region's parent.
CREATE OR REPLACE VIEW staging.int_region_stations AS
SELECT r.region_code, v.station_code, v.effective_from, v.valid_to, v.is_control
FROM staging.stg_catalogue__station_versions AS v
JOIN catalogue.regions AS c ON c.region_code = v.region_code
JOIN catalogue.regions AS r ON r.region_code IN (c.region_code, c.parent_code);
