"""Landing decided rows into the raw tables: one transaction per slice, replaced, never half-written."""
