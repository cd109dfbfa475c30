"""Who did something: a console user, an API key, the system (worker, CLI), or a subscriber
in the portal. Pages and the API put one on the request (`request.state.actor`); audit
entries and events record it."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Actor:
    kind: Literal["user", "api_key", "system", "subscriber"]
    id: str | None
    label: str


SYSTEM = Actor(kind="system", id=None, label="system")

# The actor of the work running in this context. The request sets it once it knows who is
# asking; its threads copy the context, so events recorded anywhere below carry it without
# every service passing it along. Nothing set (the worker, the CLI) means the system.
_CURRENT: contextvars.ContextVar[Actor] = contextvars.ContextVar("recura_actor", default=SYSTEM)


def current() -> Actor:
    return _CURRENT.get()


def set_current(actor: Actor) -> contextvars.Token[Actor]:
    return _CURRENT.set(actor)


def reset_current(token: contextvars.Token[Actor]) -> None:
    _CURRENT.reset(token)


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    token = _CURRENT.set(actor)
    try:
        yield
    finally:
        _CURRENT.reset(token)
