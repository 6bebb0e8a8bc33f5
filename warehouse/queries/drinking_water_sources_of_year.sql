-- The drinking-water sources listed for each region in $year (catalogue/drinking_water_sources.csv), in order.
SELECT region_code, source_code, name_zh, source_kind, water_body, background_items
FROM catalogue.drinking_water_sources
WHERE from_year <= $year AND (to_year IS NULL OR to_year >= $year)
ORDER BY region_code, source_code;
