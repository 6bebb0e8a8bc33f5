-- Value revisions recorded since $since (what one recomputation changed).
SELECT period, period_type, region_code, indicator_code, variant, old_value, new_value, reason
FROM marts.indicator_value_history
WHERE revised_at >= $since
ORDER BY period, region_code, indicator_code, period_type, variant;
