"""The one validation runner (Great Expectations suites) and the batch verdict."""
