-- The water platform's own metadata and class, kept beside ours (issue 15).
-- raw.water_readings: 所属地市 and 所属河流 from the 断面名称 tooltip of newer platform versions ('' when the
-- capture has none), and 'lake' when that metadata names a lake or reservoir ('' otherwise).
ALTER TABLE raw.water_readings ADD COLUMN city TEXT DEFAULT '';
ALTER TABLE raw.water_readings ADD COLUMN river TEXT DEFAULT '';
ALTER TABLE raw.water_readings ADD COLUMN water_body_hint TEXT DEFAULT '';

-- marts.water_section_month: where the water body came from (catalogue | platform | default), the classes the
-- platform published for the month's valid readings (JSON label -> count) and how many of those readings it
-- classed otherwise than GB 3838 does on the same values and water body (NULL for months computed before).
ALTER TABLE marts.water_section_month ADD COLUMN water_body_source TEXT;
ALTER TABLE marts.water_section_month ADD COLUMN platform_classes TEXT;
ALTER TABLE marts.water_section_month ADD COLUMN class_disagreements INTEGER;
