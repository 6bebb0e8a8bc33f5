-- The month's evaluation goes before it is stored again (in the evaluation's transaction).
DELETE FROM marts.indicator_status WHERE period = $period
