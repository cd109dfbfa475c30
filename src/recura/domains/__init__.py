"""Orchestration per aggregate: load, decide in core, save."""
