"""Data stewards' decisions on failing batches, the review policy, and the notices to providers."""
