-- The month's section classes go before they are computed again (in the computation's transaction).
DELETE FROM marts.water_section_month WHERE period = $period
