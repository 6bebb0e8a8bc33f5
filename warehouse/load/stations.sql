-- Add one station list version (parameters: $path, $valid_from, $list_file). 对照点 come from the name.
-- Real lists repeat a code (3207A appears twice with two spellings of its start date): one row per code,
-- the lexically last name wins, deterministically.
INSERT INTO catalogue.stations
SELECT s."监测点编码", s."监测点名称", s."城市", r.region_code,
       TRY_CAST(s."经度" AS DOUBLE), TRY_CAST(s."纬度" AS DOUBLE),
       s."监测点名称" LIKE '%对照点%', CAST($valid_from AS DATE), NULL, $list_file
FROM read_csv($path, header = true, all_varchar = true) AS s
LEFT JOIN catalogue.regions AS r ON r.station_city = s."城市"
QUALIFY row_number() OVER (PARTITION BY s."监测点编码" ORDER BY s."监测点名称" DESC) = 1;
