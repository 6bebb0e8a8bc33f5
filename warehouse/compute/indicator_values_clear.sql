-- The values a computation replaces: its indicators ($codes) and period types ($period_types) of the month; other
-- computations' values of the month stay (tasks/compute/store.py records what changed before this runs).
DELETE FROM marts.indicator_values
WHERE period = $period AND list_contains($codes, indicator_code) AND list_contains($period_types, period_type)
