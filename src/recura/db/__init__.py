"""Persistence: engine, sessions, the unit of work and the table models."""
