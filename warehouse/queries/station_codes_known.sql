-- Every station code of every station list in the catalogue, in order (the air suite's known stations: the same
-- list for every file of a run, so the run's files can be validated together).
SELECT DISTINCT station_code FROM catalogue.stations ORDER BY station_code
