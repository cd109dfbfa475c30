"""What the console's action pages share: each action is a form, then a page saying what
will happen, then the confirmation that does it.

The confirmation carries the fields as they were checked, the instant of the preview and a
digest of the object as it stood (`state`), all under a form key whose name covers them:
changed fields are refused, and an object changed since the preview (by the first click of
a double submit, or anyone else) is not acted on again but shown afresh.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from recura import i18n
from recura.core.money import exponent

# A preview can be confirmed for this long; then it is worked out again.
PREVIEW_LASTS = timedelta(minutes=30)


def digest(parts: list[Any]) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def confirm_form(action: str, object_id: str, carried: dict[str, str]) -> str:
    """The confirm form's name covers what it carries, so its key vouches for them."""
    return f"act_{action}:" + digest([object_id, sorted(carried.items())])


def instant(at: datetime) -> str:
    return at.isoformat()


def fresh(raw: str, now: datetime) -> datetime | None:
    """The preview's instant if it is recent enough to confirm, else None."""
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if at.tzinfo is None or at > now or now - at > PREVIEW_LASTS:
        return None
    return at


def number(raw: str) -> Decimal | None:
    try:
        found = Decimal(raw.strip().replace(",", "."))
    except InvalidOperation:
        return None
    return found if found.is_finite() else None


def quantity(value: Decimal) -> str:
    return format(value.normalize(), "f")


def minor_units(raw: str, currency: str) -> int | None:
    """An amount typed in major units ("12.50", "12,50") as minor units of `currency`;
    None when it is not one, or has more decimals than the currency."""
    found = number(raw.replace(" ", ""))
    if found is None or found <= 0:
        return None
    minor = found.scaleb(exponent(currency))
    if minor != minor.to_integral_value():
        return None
    return int(minor)


def state_label(value: str, locale: str) -> str:
    """A status in the operator's language; one the catalog lacks, as its code."""
    key = f"state.{value}"
    found = i18n.catalog("console", locale).get(key) or i18n.catalog("console", "en").get(key)
    return found or value


class Refused(Exception):
    """An action not done: what was wrong (field -> sentence key, "" for the whole form), a
    notice, and the status of the page that says so. Raised inside the action's unit of work,
    so whatever it had begun is rolled back before the page is shown again."""

    def __init__(
        self, errors: dict[str, str], notice: str | None = None, status: int = 422
    ) -> None:
        super().__init__(notice or ", ".join(errors.values()))
        self.errors = errors
        self.notice = notice
        self.status = status
