-- How each region obtains each indicator where that differs from the indicator's default (catalogue
-- indicator_sources.csv), who operates each feed (feed_operators.csv), the tolerance kind of the 同比 rule, and the
-- 同比 value and the region's way of obtaining the value beside each evaluation.
CREATE TABLE catalogue.indicator_sources (
    region_code    TEXT NOT NULL,
    indicator_code TEXT NOT NULL,
    obtained_as    TEXT NOT NULL,             -- feed | submitted | not_monitored
    valid_from     DATE NOT NULL,             -- from this day on (the row with the latest valid_from ≤ the period wins)
    note           TEXT,
    PRIMARY KEY (region_code, indicator_code, valid_from)
);

CREATE TABLE catalogue.feed_operators (
    source  TEXT NOT NULL,                    -- air | water | waste (tasks.computations.COMPUTATIONS)
    email   TEXT NOT NULL,
    name_zh TEXT NOT NULL,                    -- e.g. 内蒙古自治区环境监测总站
    note    TEXT,
    PRIMARY KEY (source, email)
);

-- regression_yoy: a tolerance in percent of last year's value (concentrations) instead of in the value's unit
ALTER TABLE catalogue.alert_rules ADD COLUMN tolerance_relative BOOLEAN DEFAULT false;

ALTER TABLE marts.indicator_status ADD COLUMN last_year_value DOUBLE;  -- 同比: the same months of last year
ALTER TABLE marts.indicator_status ADD COLUMN obtained_as TEXT;        -- feed | submitted | not_monitored | task …
