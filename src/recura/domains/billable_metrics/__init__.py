"""Billable metrics: which usage events count, and how they aggregate into a quantity."""
