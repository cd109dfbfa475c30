"""How often one visitor may ask for what costs us or others something: sign-in emails,
checkout sessions, support requests. Counted per client address and per email address in
moving windows (the `limits` library) in this process's memory: behind several processes
each counts its own share, which still bounds the total."""

from __future__ import annotations

from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.requests import Request


@dataclass(frozen=True, slots=True)
class Rule:
    per_address: RateLimitItem
    per_email: RateLimitItem | None = None


RULES: dict[str, Rule] = {
    "sign_in": Rule(parse("20/hour"), parse("5/hour")),
    "checkout": Rule(parse("60/hour")),
    "support": Rule(parse("20/hour"), parse("10/hour")),
    "email_change": Rule(parse("20/hour"), parse("5/hour")),
    # Operators: on top of the lockout after 5 wrong passwords, a bound on guessing across
    # many addresses from one place, and on reset emails to one address.
    "console_sign_in": Rule(parse("30/hour"), parse("10/hour")),
    "console_reset": Rule(parse("20/hour"), parse("5/hour")),
}


class Limiter:
    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def allow(self, action: str, request: Request, email: str | None = None) -> bool:
        """Count one `action` for this client (and email); False once either is over."""
        rule = RULES[action]
        client = request.client.host if request.client else "unknown"
        if not self._limiter.hit(rule.per_address, action, "address", client):
            return False
        if email and rule.per_email is not None:
            return self._limiter.hit(rule.per_email, action, "email", email.strip().lower())
        return True
