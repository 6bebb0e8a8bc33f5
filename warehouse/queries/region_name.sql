-- A region's Chinese name by its GB/T 2260 code (no row: not in the catalogue).
SELECT name_zh FROM catalogue.regions WHERE region_code = $region_code
