"""Engagement: customers' activity (the merchant's pings and usage events, a row per
customer, day and feature), and the figures read from it (core/engagement.py)."""
