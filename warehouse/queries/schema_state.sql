-- What a writer's connection checks each time, in one read: the migrations applied and the digest of the models
-- last made.
SELECT
    (SELECT coalesce(list(version), []) FROM main.schema_migrations) AS applied,
    (SELECT coalesce(list(digest), []) FROM main.schema_models) AS models_digest
