"""National-scale benchmark of the air pipeline against a DuckDB floor (see bench/README.md)."""
