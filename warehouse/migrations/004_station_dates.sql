-- Station lists write start and stop dates into the name (e.g. 南口路(停运161122), 津沽路(启用150702)).
ALTER TABLE catalogue.stations ADD COLUMN started_on DATE;
