-- The catalogue a receipt names indicators from: name, unit and the allowed range of every indicator.
SELECT indicator_code, name_zh, unit, min_value, max_value FROM catalogue.indicators;
