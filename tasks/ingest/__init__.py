"""Getting bytes in: HTTP with retries, fetching a period's files, the raw archive and the batch ledger."""
