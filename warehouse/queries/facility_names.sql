-- The names of the waste system's facilities by id, as their files give them, so the bulletin names a facility
-- ("呼和浩特市生活垃圾清运统计") where a computation's note holds its id.
SELECT facility_id, max(facility_name) AS facility_name
FROM raw.waste_quantities
GROUP BY facility_id;
