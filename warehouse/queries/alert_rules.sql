-- The alert rules of the catalogue (catalogue/alert_rules.csv): a row for '*' and optional rows per indicator.
SELECT rule, indicator_code, enabled, escalate_after, tolerance, months, deadline_day,
       tolerance_relative FROM catalogue.alert_rules;
