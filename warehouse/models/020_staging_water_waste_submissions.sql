-- Staging views for water, waste and submissions: dedup and select; no change of grain beyond the dedup.

-- One reading per section and time: a reading captured by several polls counts once (RULES.md §2.2). The copy
-- kept is a 正常 one if any poll saw it so (a later poll can complete a reading first seen during 维护), then
-- the latest fetch; all its parameters come from that one copy.
CREATE OR REPLACE VIEW staging.stg_water__readings AS
WITH ranked AS (
    SELECT province, basin, section_name, obs_time, batch_id, source_line,
           row_number() OVER (
               PARTITION BY province, basin, section_name, obs_time
               ORDER BY (site_status = '正常') DESC, fetched_at DESC, batch_id DESC, source_line DESC) AS rn
    FROM (SELECT DISTINCT province, basin, section_name, obs_time, batch_id, source_line, site_status, fetched_at
          FROM raw.water_readings)
)
SELECT r.*
FROM raw.water_readings AS r
JOIN ranked AS k USING (province, basin, section_name, obs_time, batch_id, source_line)
WHERE k.rn = 1;

-- Regions with every ancestor (a county's waste counts for its 盟市 and for the province).
CREATE OR REPLACE VIEW staging.int_region_ancestors AS
WITH RECURSIVE up(region_code, ancestor_code) AS (
    SELECT region_code, region_code FROM catalogue.regions
    UNION ALL
    SELECT up.region_code, r.parent_code
    FROM up JOIN catalogue.regions AS r ON r.region_code = up.ancestor_code
    WHERE r.parent_code IS NOT NULL
)
SELECT DISTINCT region_code, ancestor_code FROM up;

-- The value a department currently stands by for a period: the rows of its latest accepted file.
CREATE OR REPLACE VIEW staging.stg_submissions__current AS
WITH latest AS (
    SELECT department_code, period, arg_max(batch_id, received_at) AS batch_id
    FROM raw.submission_values
    GROUP BY department_code, period
)
SELECT s.*
FROM raw.submission_values AS s
JOIN latest USING (department_code, period, batch_id);

-- The department that holds a role for a region: the region's own, else the nearest ancestor's (a 旗县 without its
-- own 林草局 is served by its 盟市's).
CREATE OR REPLACE VIEW staging.int_region_departments AS
SELECT region_code, role, department_code, name_zh, email, own
FROM (
    SELECT a.region_code, d.role, d.department_code, d.name_zh, d.email, d.region_code = a.region_code AS own,
           row_number() OVER (PARTITION BY a.region_code, d.role ORDER BY depth) AS rn
    FROM (
        WITH RECURSIVE up(region_code, ancestor_code, depth) AS (
            SELECT region_code, region_code, 0 FROM catalogue.regions
            UNION ALL
            SELECT up.region_code, r.parent_code, up.depth + 1
            FROM up JOIN catalogue.regions AS r ON r.region_code = up.ancestor_code
            WHERE r.parent_code IS NOT NULL
        )
        SELECT * FROM up
    ) AS a
    JOIN catalogue.departments AS d ON d.region_code = a.ancestor_code
)
WHERE rn = 1;
