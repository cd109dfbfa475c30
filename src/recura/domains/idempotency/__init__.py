"""Idempotency-Key records: claim, replay, complete, release, purge."""
