-- Key projects under the monthly dispatch (月调度): the catalogue of the plans' project lists, every accepted row
-- of the departments' monthly project sheets, and each project's schedule status per month (docs/projects.md).

-- One project of a plan's list; budget in 万元 whatever unit the plan printed (RESOLUTIONS.md §8).
CREATE TABLE catalogue.projects (
    project_code            TEXT PRIMARY KEY,      -- <region_code>-P<序号>
    region_code             TEXT NOT NULL,         -- the region whose plan lists it
    domain                  TEXT NOT NULL,
    seq                     INTEGER NOT NULL,      -- 序号 as the plan writes it
    name_zh                 TEXT NOT NULL,
    indicator_codes         TEXT[] NOT NULL,       -- the indicators it counts toward (may be empty)
    indicator_text          TEXT,
    task                    TEXT NOT NULL,
    start_year              INTEGER,               -- NULL when the plan gives no years (持续推进, or empty)
    end_year                INTEGER,
    years_text              TEXT,
    budget_wan              DOUBLE,
    budget_text             TEXT NOT NULL,
    department_code         TEXT NOT NULL,         -- the department that reports it every month
    cooperating_departments TEXT[] NOT NULL,
    unit_text               TEXT NOT NULL,
    project_type            TEXT NOT NULL,         -- listed | consolidation | attainment
    attainment_indicator    TEXT,                  -- an attainment project: the indicator it makes meet its target
    source                  TEXT NOT NULL,
    note                    TEXT
);

-- Yearly milestones that replace the straight line: share of the project planned done by the end of the year.
CREATE TABLE catalogue.project_milestones (
    project_code  TEXT NOT NULL,
    year          INTEGER NOT NULL,
    planned_share DOUBLE NOT NULL,
    milestone_zh  TEXT NOT NULL,
    source        TEXT NOT NULL,
    PRIMARY KEY (project_code, year)
);

-- Every accepted row of every accepted project sheet (history); the current report of a project+period is the
-- latest accepted file's. Money in 万元, progress in %.
CREATE TABLE raw.project_reports (
    batch_id            TEXT NOT NULL,
    period              TEXT NOT NULL,
    file_name           TEXT NOT NULL,
    source_line         INTEGER NOT NULL,
    department_code     TEXT NOT NULL,
    project_code        TEXT NOT NULL,
    progress_pct        DOUBLE,                -- 形象进度; NULL: the row was left blank (not reported)
    milestone_reached   TEXT,
    invest_month_wan    DOUBLE,                -- 本月完成投资
    invest_to_date_wan  DOUBLE,                -- 累计完成投资
    benefits            TEXT,
    output_value        DOUBLE,
    output_unit         TEXT,
    problems            TEXT,
    decrease_reason     TEXT,                  -- why a cumulative figure went down (required when it did)
    received_at         TIMESTAMPTZ NOT NULL
);

-- Each project's schedule status for a month (docs/projects.md: on schedule, behind, not reported).
CREATE TABLE marts.project_status (
    project_code        TEXT NOT NULL,
    period              TEXT NOT NULL,
    department_code     TEXT NOT NULL,
    status              TEXT NOT NULL,         -- on_schedule | behind | not_reported | not_started | no_plan
    planned_pct         DOUBLE,
    progress_pct        DOUBLE,
    planned_invest_wan  DOUBLE,
    invest_to_date_wan  DOUBLE,
    behind_months       INTEGER NOT NULL,      -- consecutive months behind or not reported, this one included
    reasons             TEXT,                  -- Chinese, one line per reason
    batch_id            TEXT,
    PRIMARY KEY (project_code, period)
);
