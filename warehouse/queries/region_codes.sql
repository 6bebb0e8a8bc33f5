-- Every region code in the catalogue (what a waste row's region must be one of).
SELECT region_code FROM catalogue.regions
