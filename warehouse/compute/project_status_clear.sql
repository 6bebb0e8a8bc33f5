-- The month's project statuses go before they are judged again (in the computation's transaction).
DELETE FROM marts.project_status WHERE period = $period
