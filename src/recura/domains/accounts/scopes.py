"""What an API key may do: everything (`full`), read everything (`read_only`), or only the
resource families its permissions list, each to read or to write (`restricted`).

Writing implies reading. Keys themselves (`api_keys`) are written by full keys only, so a
restricted key can never make a key that may do more than it does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

Scope = Literal["full", "read_only", "restricted"]
Level = Literal["read", "write"]

SCOPES: tuple[Scope, ...] = get_args(Scope)
LEVELS: tuple[Level, ...] = get_args(Level)

# The families the API's routes are grouped into (api/permissions.py maps each route).
FAMILIES: tuple[str, ...] = (
    "account",
    "api_keys",
    "audit_log",
    "catalog",
    "checkout",
    "customers",
    "entitlements",
    "events",
    "invoices",
    "metrics",
    "payments",
    "portal",
    "subscriptions",
    "support",
    "test_clocks",
    "usage",
    "webhooks",
)
# Families only a full key may write.
FULL_ONLY_WRITES = frozenset({"api_keys"})


def allows(scope: str, permissions: Mapping[str, str], family: str | None, level: Level) -> bool:
    """Whether a key of this scope and permissions may `level` the `family`; a route without
    a family is open to full keys only (tests/api/test_permissions.py keeps there being none)."""
    if scope == "full":
        return True
    if family is None:
        return False
    if scope == "read_only":
        return level == "read"
    granted = permissions.get(family)
    return granted == "write" or (granted == "read" and level == "read")


def check_permissions(scope: Scope, permissions: Mapping[str, str]) -> dict[str, Level]:
    """The permissions a key of `scope` keeps, or ValueError saying what is wrong."""
    if scope != "restricted":
        if permissions:
            raise ValueError("permissions are given only with the scope `restricted`")
        return {}
    if not permissions:
        raise ValueError("a restricted key needs at least one permission")
    kept: dict[str, Level] = {}
    for family, level in permissions.items():
        if family not in FAMILIES:
            raise ValueError(f"unknown resource family '{family}'")
        if level == "write" and family in FULL_ONLY_WRITES:
            raise ValueError(f"only full keys may write '{family}'")
        if level == "read":
            kept[family] = "read"
        elif level == "write":
            kept[family] = "write"
        else:
            raise ValueError(f"the permission for '{family}' must be `read` or `write`")
    return kept


def missing(family: str | None, level: Level) -> str:
    """The permission a refusal names, as keys list it: `customers:write`."""
    return f"{family or 'unlisted'}:{level}"
