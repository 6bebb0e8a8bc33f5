"""ecoflow: the monthly eco-indicator update (feeds -> validation -> DuckDB -> indicators -> alerts)."""
