-- A region and every region below it ($region), e.g. for cutting the quarterly assessment to a 月报's region.
SELECT region_code FROM staging.int_region_ancestors WHERE ancestor_code = $region;
