"""The `ecoflow` command line: operators' and stewards' entry points into the flow."""
