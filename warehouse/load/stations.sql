-- Add one station list version (parameters: $path, $valid_from, $list_file).
-- From the name: 对照点 (control station, not an evaluation station); 启用YYMMDD / YYMMDD启用 (first day);
-- 停运YYMMDD / YYMMDD停用 (first day out of service, so the version ends the day before); 已停运 / 已停用
-- without a date: out of service on every day we evaluate [D]. Real lists repeat a code (3207A appears twice
-- with two spellings of its start date): one row per code, the lexically last name wins, deterministically.
INSERT INTO catalogue.stations (station_code, name_zh, city_zh, region_code, longitude, latitude, is_control,
                                valid_from, valid_to, list_file, started_on)
WITH src AS (
    SELECT s."监测点编码" AS code, s."监测点名称" AS name, s."城市" AS city, s."经度" AS lon, s."纬度" AS lat,
           coalesce(nullif(regexp_extract(s."监测点名称", '停[运用]\s*(\d{6,8})', 1), ''),
                    nullif(regexp_extract(s."监测点名称", '(\d{6,8})\s*停[运用]', 1), '')) AS stop_text,
           coalesce(nullif(regexp_extract(s."监测点名称", '启用\s*(\d{6,8})', 1), ''),
                    nullif(regexp_extract(s."监测点名称", '(\d{6,8})\s*启用', 1), '')) AS start_text,
           regexp_matches(s."监测点名称", '已停[运用]') AS stopped_undated
    FROM read_csv($path, header = true, all_varchar = true) AS s
),
dated AS (
    SELECT *,
           CAST(try_strptime(CASE WHEN length(stop_text) = 6 THEN '20' || stop_text ELSE stop_text END, '%Y%m%d')
                AS DATE) AS stop_day,
           CAST(try_strptime(CASE WHEN length(start_text) = 6 THEN '20' || start_text ELSE start_text END, '%Y%m%d')
                AS DATE) AS start_day
    FROM src
)
SELECT d.code, d.name, d.city, r.region_code, TRY_CAST(d.lon AS DOUBLE), TRY_CAST(d.lat AS DOUBLE),
       d.name LIKE '%对照点%', CAST($valid_from AS DATE),
       CASE WHEN d.stop_day IS NOT NULL THEN d.stop_day - INTERVAL 1 DAY
            WHEN d.stopped_undated THEN DATE '1899-12-31' END,
       $list_file, d.start_day
FROM dated AS d
LEFT JOIN catalogue.regions AS r ON r.station_city = d.city
QUALIFY row_number() OVER (PARTITION BY d.code ORDER BY d.name DESC) = 1;
