-- RULES.md §1.12: a value is judged against its target at evaluation precision (concentrations as integers,
-- CO 1 decimal, ratios 1 decimal), not at the reporting precision it is published with.
ALTER TABLE catalogue.indicators ADD COLUMN evaluation_digits INTEGER;
