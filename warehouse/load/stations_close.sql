-- A station version ends the day before the next list that no longer has it, or on a recorded stop.
UPDATE catalogue.stations AS s
SET valid_to = nxt.next_from - INTERVAL 1 DAY
FROM (
    SELECT s1.station_code, s1.valid_from,
           (SELECT min(s2.valid_from) FROM catalogue.stations s2 WHERE s2.station_code = s1.station_code
              AND s2.valid_from > s1.valid_from) AS next_from
    FROM catalogue.stations s1
) AS nxt
WHERE s.station_code = nxt.station_code AND s.valid_from = nxt.valid_from AND nxt.next_from IS NOT NULL;
UPDATE catalogue.stations AS s
SET valid_to = c.last_day
FROM (SELECT station_code, CAST(last_day_in_force AS DATE) AS last_day
      FROM read_csv($changes, header = true, all_varchar = true)) AS c
WHERE s.station_code = c.station_code AND s.valid_from <= c.last_day
  AND (s.valid_to IS NULL OR s.valid_to > c.last_day);
