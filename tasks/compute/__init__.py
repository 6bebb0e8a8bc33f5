"""From landed rows to indicator values (one module per source's computation) and the indicator store."""
