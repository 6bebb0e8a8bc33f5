"""The alert rules, the alert ledger and the digests that tell owners."""
