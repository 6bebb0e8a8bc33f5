-- Dust-affected days listed for any region within the period.
SELECT region_code, obs_date FROM catalogue.dust_days WHERE obs_date BETWEEN $first AND $last;
