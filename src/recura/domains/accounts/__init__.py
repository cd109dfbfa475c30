"""Merchant accounts (tenants) and their API keys."""
