-- The bureau's monthly roll-up: per region, how many indicators have each status for $period, and the open alerts.
SELECT s.region_code, r.name_zh AS region_name,
       count(*) FILTER (WHERE s.status = '达标') AS met,
       count(*) FILTER (WHERE s.status = '进行中') AS in_progress,
       count(*) FILTER (WHERE s.status = '进行中' AND s.projected_meets = false) AS projected_miss,
       count(*) FILTER (WHERE s.status = '未达标') AS missed,
       count(*) FILTER (WHERE s.status = '数据不足') AS thin,
       count(*) FILTER (WHERE s.status = '待报送') AS awaiting,
       count(*) FILTER (WHERE s.status = '未监测') AS not_monitored,
       (SELECT count(*) FROM alerts.ledger AS a
        WHERE a.region_code = s.region_code AND a.status = 'open' AND a.period <= $period) AS open_alerts
FROM marts.indicator_status AS s
LEFT JOIN catalogue.regions AS r ON r.region_code = s.region_code
WHERE s.period = $period AND s.status IS NOT NULL
GROUP BY ALL
ORDER BY s.region_code;
