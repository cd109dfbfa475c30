"""Onboarding guides: the steps a merchant gives new subscribers, and who has done which."""
