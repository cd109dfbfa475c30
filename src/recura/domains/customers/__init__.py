"""The merchant's customers (subscribers)."""
