"""The floor every stage stands on: settings, explicit periods, errors, SQL files and the DuckDB warehouse."""
