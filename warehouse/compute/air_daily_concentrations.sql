-- Daily concentrations for stations and regions over [$first, $last] (RULES.md §1.4-1.6).
-- A city (or a 旗县区 with stations) is a virtual station over staging.int_region_stations (regions above the city
-- have no stations there: they are the mean of their cities' indicator values): its hourly value is the mean of its evaluation stations in force that day,
-- valid when at least half (rounded up) of them reported. Daily means need >= 20 hours; O3 MDA8 takes the
-- 8-hour windows ending at hours 7..23 (each valid with >= 6 hours), valid with >= 14 valid windows or a
-- maximum above $o3_8h_limit; O3 1-hour max needs >= 20 hours.
-- Arithmetic is in DECIMAL (hourly values exact to 0.001, region hourly means to 1e-9): a parallel float sum
-- differs in its last digits between runs (and DuckDB drops ORDER BY inside avg), while the same bytes must
-- give the same tables, and half-even rounding of a daily mean must see 2.45, not 2.4499999.
WITH hourly AS (
    SELECT station_code, obs_date, hour, ts, pollutant, CAST(value AS DECIMAL(18, 3)) AS value
    FROM staging.stg_cnemc_air__hourly
    WHERE obs_date BETWEEN CAST($first AS DATE) - INTERVAL 1 DAY AND CAST($last AS DATE)
),
days AS (
    SELECT DISTINCT obs_date FROM hourly
),
in_force AS (
    SELECT rs.region_code, rs.station_code, d.obs_date
    FROM staging.int_region_stations AS rs
    JOIN days AS d
      ON d.obs_date >= rs.effective_from AND (rs.valid_to IS NULL OR d.obs_date <= rs.valid_to)
    WHERE NOT rs.is_control
),
required AS (
    SELECT region_code, obs_date, CAST(ceil(count(*) / 2.0) AS INTEGER) AS n_required
    FROM in_force
    GROUP BY ALL
),
region_hourly AS (
    SELECT f.region_code, h.obs_date, h.hour, h.ts, h.pollutant,
           CAST(avg(h.value) AS DECIMAL(18, 9)) AS value, count(*) AS n_stations, any_value(q.n_required) AS n_required
    FROM hourly AS h
    JOIN in_force AS f ON f.station_code = h.station_code AND f.obs_date = h.obs_date
    JOIN required AS q ON q.region_code = f.region_code AND q.obs_date = h.obs_date
    GROUP BY ALL
),
series AS (
    SELECT 'station' AS entity_kind, station_code AS entity_code, obs_date, ts, pollutant,
           CAST(value AS DECIMAL(18, 9)) AS value
    FROM hourly
    UNION ALL
    SELECT 'region', region_code, obs_date, ts, pollutant, value
    FROM region_hourly
    WHERE n_stations >= n_required
),
o3_entities AS (
    SELECT DISTINCT entity_kind, entity_code FROM series WHERE pollutant = 'o3'
),
o3_grid AS (
    SELECT e.entity_kind, e.entity_code, g.ts
    FROM o3_entities AS e
    CROSS JOIN generate_series(CAST(CAST($first AS DATE) - INTERVAL 1 DAY AS TIMESTAMP),
                               CAST(CAST($last AS DATE) AS TIMESTAMP) + INTERVAL 23 HOUR,
                               INTERVAL 1 HOUR) AS g(ts)
),
o3_windows AS (
    SELECT g.entity_kind, g.entity_code, g.ts,
           avg(s.value) OVER w AS avg8,
           count(s.value) OVER w AS n8
    FROM o3_grid AS g
    LEFT JOIN series AS s
      ON s.pollutant = 'o3' AND s.entity_kind = g.entity_kind AND s.entity_code = g.entity_code AND s.ts = g.ts
    WINDOW w AS (PARTITION BY g.entity_kind, g.entity_code ORDER BY g.ts ROWS BETWEEN 7 PRECEDING AND CURRENT ROW)
),
o3_daily AS (
    SELECT entity_kind, entity_code, CAST(ts AS DATE) AS obs_date,
           max(avg8) FILTER (WHERE n8 >= 6) AS o3_8h_max,
           count(*) FILTER (WHERE n8 >= 6) AS n_o3_8h
    FROM o3_windows
    WHERE hour(ts) BETWEEN 7 AND 23
    GROUP BY ALL
),
daily AS (
    SELECT entity_kind, entity_code, obs_date,
           avg(value) FILTER (WHERE pollutant = 'so2') AS so2, count(*) FILTER (WHERE pollutant = 'so2') AS n_so2,
           avg(value) FILTER (WHERE pollutant = 'no2') AS no2, count(*) FILTER (WHERE pollutant = 'no2') AS n_no2,
           avg(value) FILTER (WHERE pollutant = 'co') AS co, count(*) FILTER (WHERE pollutant = 'co') AS n_co,
           avg(value) FILTER (WHERE pollutant = 'pm10') AS pm10,
           count(*) FILTER (WHERE pollutant = 'pm10') AS n_pm10,
           avg(value) FILTER (WHERE pollutant = 'pm25') AS pm25,
           count(*) FILTER (WHERE pollutant = 'pm25') AS n_pm25,
           CAST(max(value) FILTER (WHERE pollutant = 'o3') AS DOUBLE) AS o3_1h_max,
           count(*) FILTER (WHERE pollutant = 'o3') AS n_o3_1h
    FROM series
    WHERE obs_date BETWEEN CAST($first AS DATE) AND CAST($last AS DATE)
    GROUP BY ALL
)
SELECT
    d.entity_kind, d.entity_code, d.obs_date,
    CASE WHEN d.n_so2 >= 20 THEN d.so2 END AS so2,
    CASE WHEN d.n_no2 >= 20 THEN d.no2 END AS no2,
    CASE WHEN d.n_co >= 20 THEN d.co END AS co,
    CASE WHEN d.n_pm10 >= 20 THEN d.pm10 END AS pm10,
    CASE WHEN d.n_pm25 >= 20 THEN d.pm25 END AS pm25,
    CASE WHEN coalesce(o.n_o3_8h, 0) >= 14 OR o.o3_8h_max > $o3_8h_limit THEN o.o3_8h_max END AS o3_8h_max,
    CASE WHEN d.n_o3_1h >= 20 THEN d.o3_1h_max END AS o3_1h_max,
    d.n_so2, d.n_no2, d.n_co, d.n_pm10, d.n_pm25, coalesce(o.n_o3_8h, 0) AS n_o3_8h, d.n_o3_1h
FROM daily AS d
LEFT JOIN o3_daily AS o USING (entity_kind, entity_code, obs_date)
ORDER BY d.entity_kind, d.entity_code, d.obs_date;
