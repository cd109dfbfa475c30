"""Metrics around the revenue: trials, checkouts, dunning, churn kinds, cancellation
feedback and support response times (definitions in core/funnels.py)."""
