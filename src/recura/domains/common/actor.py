"""Who did something: the signed-in operator, an API key, Recura itself or a subscriber.
Pages and the API put one on the request (`request.state.actor`) for whatever records
who acted (the audit log)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Actor:
    kind: Literal["user", "api_key", "system", "subscriber"]
    id: str | None
    label: str
