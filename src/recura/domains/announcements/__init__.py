"""Announcements: short news for subscribers, targeted by product, plan or status."""
