"""Judging indicator values against their targets and periods (RULES.md §4)."""
