-- Rows in a staged table: rows of pending reviews, which a remake would lose.
SELECT count(*) FROM {staged}
