"""Departments' monthly submissions: the template they fill in, the reader, the adapter."""
