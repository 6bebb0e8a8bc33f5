-- Replace the project catalogue from its versioned CSV files (parameters: the two files' paths).
DELETE FROM catalogue.project_milestones;
DELETE FROM catalogue.projects;
INSERT INTO catalogue.projects
SELECT project_code, region_code, domain, CAST(seq AS INTEGER), name_zh,
       CASE WHEN coalesce(indicator_codes, '') = '' THEN []::TEXT[] ELSE string_split(indicator_codes, ';') END,
       NULLIF(indicator_text, ''), task, TRY_CAST(NULLIF(start_year, '') AS INTEGER),
       TRY_CAST(NULLIF(end_year, '') AS INTEGER), NULLIF(years_text, ''), TRY_CAST(NULLIF(budget_wan, '') AS DOUBLE),
       budget_text, department_code,
       CASE WHEN coalesce(cooperating_departments, '') = '' THEN []::TEXT[]
            ELSE string_split(cooperating_departments, ';') END,
       unit_text, project_type, NULLIF(attainment_indicator, ''), source, NULLIF(note, '')
FROM read_csv($projects, header = true, all_varchar = true);
INSERT INTO catalogue.project_milestones
SELECT project_code, CAST(year AS INTEGER), CAST(planned_share AS DOUBLE), milestone_zh, source
FROM read_csv($project_milestones, header = true, all_varchar = true);
