"""Hosted checkout: sessions that take a subscriber from a plan to a subscription."""
