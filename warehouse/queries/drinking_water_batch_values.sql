-- What one accepted drinking-water source sheet holds ($batch_id), with each listed source of the department's region
-- (a source the sheet left blank has no cells: not monitored this month), for the receipt.
WITH this AS (
    SELECT * FROM raw.drinking_water_results WHERE batch_id = $batch_id
),
sheet AS (
    SELECT DISTINCT department_code, period FROM this
)
SELECT s.source_code, s.name_zh, s.source_kind, s.water_body, s.background_items, this.item, this.value,
       this.value_text, this.below_detection, this.detection_limit, this.source_line
FROM sheet
JOIN catalogue.departments AS d USING (department_code)
JOIN catalogue.drinking_water_sources AS s
  ON s.region_code = d.region_code AND s.from_year <= CAST(left(sheet.period, 4) AS INTEGER)
 AND coalesce(s.to_year, 9999) >= CAST(left(sheet.period, 4) AS INTEGER)
LEFT JOIN this ON this.source_code = s.source_code
ORDER BY s.source_code, this.source_line;
