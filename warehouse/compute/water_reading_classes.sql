-- Each valid (正常) reading of the month ($first .. $last, local time) with the class the platform published and
-- the values of the items that class is computed from (pH, DO, CODMn, NH3-N, TP): to put our class beside it.
SELECT province, basin, section_name, obs_time, any_value(class_reported) AS class_reported,
       max(value) FILTER (WHERE parameter = 'ph' AND flag = 'value') AS ph,
       max(value) FILTER (WHERE parameter = 'do' AND flag = 'value') AS "do",
       max(value) FILTER (WHERE parameter = 'codmn' AND flag = 'value') AS codmn,
       max(value) FILTER (WHERE parameter = 'nh3n' AND flag = 'value') AS nh3n,
       max(value) FILTER (WHERE parameter = 'tp' AND flag = 'value') AS tp
FROM staging.stg_water__readings
WHERE obs_time >= CAST($first AS TIMESTAMP) AND obs_time < CAST($last AS TIMESTAMP) + INTERVAL 1 DAY
  AND site_status = '正常'
GROUP BY ALL
ORDER BY province, basin, section_name, obs_time;
