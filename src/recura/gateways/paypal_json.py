"""Reading PayPal's JSON bodies, where any field may be missing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from recura.core.money import Money
from recura.gateways.paypal_amounts import from_paypal_value


def dig(value: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    """The object at `keys`, or an empty one if any step is missing or not an object."""
    for key in keys:
        inner = value.get(key)
        if not isinstance(inner, dict):
            return {}
        value = inner
    return value


def string(value: object) -> str | None:
    """`value` if it is a non-empty string."""
    return value if isinstance(value, str) and value else None


def money(value: object) -> Money | None:
    """A PayPal Money object ({currency_code, value}) as Money; AmountMismatch if inexact."""
    if not isinstance(value, dict):
        return None
    return from_paypal_value(str(value.get("value")), str(value.get("currency_code")))


def find_link(body: Mapping[str, Any], rel: str) -> str | None:
    """The href of the HATEOAS link `rel`, if the body has one."""
    links = body.get("links")
    for link in links if isinstance(links, list) else ():
        if isinstance(link, dict) and link.get("rel") == rel:
            return string(link.get("href"))
    return None
