-- Each section's month ($first .. $last, local time): distinct readings, valid readings (站点情况 正常) and the
-- mean of every parameter over valid numeric values, summed in DECIMAL so reruns give identical means
-- (38 digits: an algae density of 1e12 cells/L must not overflow the sum).
WITH readings AS (
    SELECT * FROM staging.stg_water__readings
    WHERE obs_time >= CAST($first AS TIMESTAMP) AND obs_time < CAST($last AS TIMESTAMP) + INTERVAL 1 DAY
),
counts AS (
    SELECT province, basin, section_name,
           count(DISTINCT obs_time) AS readings_all,
           count(DISTINCT obs_time) FILTER (WHERE site_status = '正常') AS readings,
           list(DISTINCT batch_id ORDER BY batch_id) AS batch_ids,
           bool_or(coalesce(water_body_hint, '') = 'lake') AS platform_lake
    FROM readings
    GROUP BY ALL
),
means AS (
    SELECT province, basin, section_name, parameter,
           CAST(avg(CAST(value AS DECIMAL(38, 6))) AS DOUBLE) AS mean_value,
           count(*) AS n
    FROM readings
    WHERE site_status = '正常' AND flag = 'value' AND value IS NOT NULL
    GROUP BY ALL
)
SELECT c.province, c.basin, c.section_name, c.readings_all, c.readings, c.batch_ids,
       s.section_code,
       -- the catalogue decides; else the platform's metadata (所属河流 names a lake or reservoir); else river
       coalesce(s.water_body, CASE WHEN c.platform_lake THEN 'lake' END, 'river') AS water_body,
       CASE WHEN s.water_body IS NOT NULL THEN 'catalogue' WHEN c.platform_lake THEN 'platform' ELSE 'default'
       END AS water_body_source,
       s.section_code IS NULL AS uncatalogued,
       m.parameter, m.mean_value, m.n
FROM counts AS c
LEFT JOIN means AS m USING (province, basin, section_name)
LEFT JOIN catalogue.water_sections AS s
  ON s.province = c.province AND s.basin = c.basin AND s.section_name = c.section_name
ORDER BY c.province, c.basin, c.section_name, m.parameter;
