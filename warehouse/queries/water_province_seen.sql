-- Whether any reading was ever captured for the province (as the feed writes it, e.g. 内蒙古自治区).
SELECT 1 FROM raw.water_readings WHERE province = $province LIMIT 1
