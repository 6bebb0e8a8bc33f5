-- Replace the catalogue from its versioned CSV files (parameters: the folder's file paths).
DELETE FROM catalogue.regions;
INSERT INTO catalogue.regions (region_code, name_zh, level, parent_code, station_city)
SELECT region_code, name_zh, level, NULLIF(parent_code, ''), NULLIF(station_city, '')
FROM read_csv($regions, header = true, all_varchar = true);
DELETE FROM catalogue.departments;
INSERT INTO catalogue.departments (department_code, region_code, role, name_zh, email)
SELECT department_code, region_code, role, name_zh, email
FROM read_csv($departments, header = true, all_varchar = true);
DELETE FROM catalogue.indicators;
INSERT INTO catalogue.indicators (indicator_code, national_no, name_zh, name_en, unit, direction, lead_department,
                                  obtained_by, evaluation_digits, min_value, max_value, sub_no, domain, task_group,
                                  attribute, national_threshold, frequency, cooperating_departments, note)
SELECT indicator_code, TRY_CAST(NULLIF(national_no, '') AS INTEGER), name_zh, name_en, unit, direction,
       lead_department, obtained_by, TRY_CAST(NULLIF(evaluation_digits, '') AS INTEGER),
       TRY_CAST(NULLIF(min_value, '') AS DOUBLE), TRY_CAST(NULLIF(max_value, '') AS DOUBLE),
       TRY_CAST(NULLIF(sub_no, '') AS INTEGER), NULLIF(domain, ''), NULLIF(task_group, ''), NULLIF(attribute, ''),
       NULLIF(national_threshold, ''), NULLIF(frequency, ''),
       CASE WHEN coalesce(cooperating_departments, '') = '' THEN []::TEXT[]
            ELSE string_split(cooperating_departments, ';') END,
       NULLIF(note, '')
FROM read_csv($indicators, header = true, all_varchar = true);
DELETE FROM catalogue.targets;
INSERT INTO catalogue.targets (region_code, indicator_code, year, comparator, target_value, variant, source, note,
                               target_kind, target_text)
SELECT region_code, indicator_code, CAST(year AS INTEGER), comparator, TRY_CAST(NULLIF(target_value, '') AS DOUBLE),
       coalesce(NULLIF(variant, ''), 'raw'), source, NULLIF(note, ''), coalesce(NULLIF(target_kind, ''), 'value'),
       NULLIF(target_text, '')
FROM read_csv($targets, header = true, all_varchar = true);
DELETE FROM catalogue.assigned_targets;
INSERT INTO catalogue.assigned_targets
SELECT region_code, indicator_code, CAST(year AS INTEGER), CAST(target_value AS DOUBLE), source, NULLIF(note, '')
FROM read_csv($assigned_targets, header = true, all_varchar = true,
              columns = {'region_code': 'VARCHAR', 'indicator_code': 'VARCHAR', 'year': 'VARCHAR',
                         'target_value': 'VARCHAR', 'source': 'VARCHAR', 'note': 'VARCHAR'});
DELETE FROM catalogue.baselines;
INSERT INTO catalogue.baselines
SELECT region_code, indicator_code, CAST(year AS INTEGER), TRY_CAST(NULLIF(value, '') AS DOUBLE),
       NULLIF(value_text, ''), source, NULLIF(note, '')
FROM read_csv($baselines, header = true, all_varchar = true,
              columns = {'region_code': 'VARCHAR', 'indicator_code': 'VARCHAR', 'year': 'VARCHAR', 'value': 'VARCHAR',
                         'value_text': 'VARCHAR', 'source': 'VARCHAR', 'note': 'VARCHAR'});
DELETE FROM catalogue.dust_days;
INSERT INTO catalogue.dust_days
SELECT region_code, CAST(obs_date AS DATE), source
FROM read_csv($dust_days, header = true, all_varchar = true,
              columns = {'region_code': 'VARCHAR', 'obs_date': 'VARCHAR', 'source': 'VARCHAR'});
DELETE FROM catalogue.water_sections;
INSERT INTO catalogue.water_sections
SELECT section_code, section_name, province, basin, NULLIF(river, ''), NULLIF(region_code, ''), water_body,
       CAST(assessed AS BOOLEAN), NULLIF(note, '')
FROM read_csv($water_sections, header = true, all_varchar = true);
DELETE FROM catalogue.water_assessment;
INSERT INTO catalogue.water_assessment
SELECT region_code, section_code, CAST(from_year AS INTEGER), TRY_CAST(NULLIF(to_year, '') AS INTEGER),
       NULLIF(note, '')
FROM read_csv($water_assessment, header = true, all_varchar = true,
              columns = {'region_code': 'VARCHAR', 'section_code': 'VARCHAR', 'from_year': 'VARCHAR',
                         'to_year': 'VARCHAR', 'note': 'VARCHAR'});
DELETE FROM catalogue.alert_rules;
INSERT INTO catalogue.alert_rules (rule, indicator_code, enabled, tolerance, months, deadline_day, escalate_after, note,
                                   tolerance_relative)
SELECT rule, indicator_code, CAST(enabled AS BOOLEAN), TRY_CAST(NULLIF(tolerance, '') AS DOUBLE),
       TRY_CAST(NULLIF(months, '') AS INTEGER), TRY_CAST(NULLIF(deadline_day, '') AS INTEGER),
       TRY_CAST(NULLIF(escalate_after, '') AS INTEGER), NULLIF(note, ''),
       coalesce(TRY_CAST(NULLIF(tolerance_relative, '') AS BOOLEAN), false)
FROM read_csv($alert_rules, header = true, all_varchar = true,
              columns = {'rule': 'VARCHAR', 'indicator_code': 'VARCHAR', 'enabled': 'VARCHAR', 'tolerance': 'VARCHAR',
                         'tolerance_relative': 'VARCHAR', 'months': 'VARCHAR', 'deadline_day': 'VARCHAR',
                         'escalate_after': 'VARCHAR', 'note': 'VARCHAR'});
DELETE FROM catalogue.indicator_sources;
INSERT INTO catalogue.indicator_sources
SELECT region_code, indicator_code, obtained_as, CAST(valid_from AS DATE), NULLIF(note, '')
FROM read_csv($indicator_sources, header = true, all_varchar = true,
              columns = {'region_code': 'VARCHAR', 'indicator_code': 'VARCHAR', 'obtained_as': 'VARCHAR',
                         'valid_from': 'VARCHAR', 'note': 'VARCHAR'});
DELETE FROM catalogue.feed_operators;
INSERT INTO catalogue.feed_operators
SELECT source, email, name_zh, NULLIF(note, '')
FROM read_csv($feed_operators, header = true, all_varchar = true,
              columns = {'source': 'VARCHAR', 'email': 'VARCHAR', 'name_zh': 'VARCHAR', 'note': 'VARCHAR'});
DELETE FROM catalogue.drinking_water_sources;
INSERT INTO catalogue.drinking_water_sources
SELECT source_code, region_code, name_zh, source_kind, NULLIF(water_body, ''),
       CASE WHEN coalesce(background_items, '') = '' THEN []::TEXT[]
            ELSE list_transform(string_split(background_items, ';'), lambda x: trim(x)) END,
       CAST(from_year AS INTEGER), TRY_CAST(NULLIF(to_year, '') AS INTEGER), source, NULLIF(note, '')
FROM read_csv($drinking_water_sources, header = true, all_varchar = true,
              columns = {'source_code': 'VARCHAR', 'region_code': 'VARCHAR', 'name_zh': 'VARCHAR',
                         'source_kind': 'VARCHAR', 'water_body': 'VARCHAR', 'background_items': 'VARCHAR',
                         'from_year': 'VARCHAR', 'to_year': 'VARCHAR', 'source': 'VARCHAR', 'note': 'VARCHAR'});
