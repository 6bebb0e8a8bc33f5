-- Regions above the city (RULES §1.4) and their cities: every region that has cities (level prefecture) as
-- children, with those cities. Such a region is the mean of its cities' values, never a virtual station.
SELECT p.region_code AS region_code, list(c.region_code ORDER BY c.region_code) AS cities,
       list(c.name_zh ORDER BY c.region_code) AS city_names
FROM catalogue.regions AS p
JOIN catalogue.regions AS c ON c.parent_code = p.region_code AND c.level = 'prefecture'
GROUP BY p.region_code
ORDER BY p.region_code;
