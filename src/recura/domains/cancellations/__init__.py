"""Cancellation flows: reasons, the one retention offer, and what came of them."""
