-- The month's daily facts (stations and regions, raw and dust-deducted) before they are written again.
DELETE FROM marts.air_daily WHERE obs_date BETWEEN $first AND $last
