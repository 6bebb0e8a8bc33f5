-- Validated rows waiting for a steward's decision (tasks/validate/staging.py): each raw table's columns, the run that
-- staged them, and whether the row fails an error rule. Made here, with the schema, rather than at run time;
-- staging.staged_table() re-makes one only when a later migration changed its raw table's columns, and never while it
-- holds rows of a pending review. A warehouse that made them at run time keeps them as they are.
CREATE TABLE IF NOT EXISTS review.staged_cnemc_air_hourly AS
    SELECT *, ''::TEXT AS review_run, false AS failed FROM raw.cnemc_air_hourly LIMIT 0;
CREATE TABLE IF NOT EXISTS review.staged_water_readings AS
    SELECT *, ''::TEXT AS review_run, false AS failed FROM raw.water_readings LIMIT 0;
CREATE TABLE IF NOT EXISTS review.staged_waste_quantities AS
    SELECT *, ''::TEXT AS review_run, false AS failed FROM raw.waste_quantities LIMIT 0;
CREATE TABLE IF NOT EXISTS review.staged_submission_values AS
    SELECT *, ''::TEXT AS review_run, false AS failed FROM raw.submission_values LIMIT 0;
CREATE TABLE IF NOT EXISTS review.staged_project_reports AS
    SELECT *, ''::TEXT AS review_run, false AS failed FROM raw.project_reports LIMIT 0;
CREATE TABLE IF NOT EXISTS review.staged_drinking_water_results AS
    SELECT *, ''::TEXT AS review_run, false AS failed FROM raw.drinking_water_results LIMIT 0;
