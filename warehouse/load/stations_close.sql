-- End station versions. A version ends the day before the next list takes over: the station's own next
-- version, or, when the next list no longer has the station, that list's first day. A stop date already taken
-- from the name (停运…) is kept when it is earlier; recorded stops (station_changes.csv) end a version too.
UPDATE catalogue.stations AS s
SET valid_to = least(coalesce(s.valid_to, nxt.next_list - INTERVAL 1 DAY), nxt.next_list - INTERVAL 1 DAY)
FROM (
    SELECT v.station_code, v.valid_from,
           (SELECT min(l.valid_from) FROM (SELECT DISTINCT valid_from FROM catalogue.stations) AS l
             WHERE l.valid_from > v.valid_from) AS next_list
    FROM catalogue.stations AS v
) AS nxt
WHERE s.station_code = nxt.station_code AND s.valid_from = nxt.valid_from AND nxt.next_list IS NOT NULL;
UPDATE catalogue.stations AS s
SET valid_to = c.last_day
FROM (SELECT station_code, CAST(last_day_in_force AS DATE) AS last_day
      FROM read_csv($changes, header = true, all_varchar = true)) AS c
WHERE s.station_code = c.station_code AND s.valid_from <= c.last_day
  AND (s.valid_to IS NULL OR s.valid_to > c.last_day);
-- Stations that also evaluate regions besides their own city's (catalogue/station_regions.csv).
DELETE FROM catalogue.station_regions;
INSERT INTO catalogue.station_regions
SELECT station_code, region_code, CAST(valid_from AS DATE), CAST(NULLIF(valid_to, '') AS DATE), NULLIF(note, '')
FROM read_csv($station_regions, header = true, all_varchar = true,
              columns = {'station_code': 'VARCHAR', 'region_code': 'VARCHAR', 'valid_from': 'VARCHAR',
                         'valid_to': 'VARCHAR', 'note': 'VARCHAR'});
