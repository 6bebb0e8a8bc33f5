"""The catalogue of indicators, targets, regions, stations and departments: checked, loaded, documented."""
