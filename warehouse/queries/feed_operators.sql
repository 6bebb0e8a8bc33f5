-- The operators of a feed ($source): who is told when its data for a month is missing or too thin.
SELECT source, email, name_zh FROM catalogue.feed_operators WHERE source = $source ORDER BY rowid;
