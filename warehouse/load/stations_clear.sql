-- The station versions go before the lists are read again (in the catalogue load's transaction).
DELETE FROM catalogue.stations
