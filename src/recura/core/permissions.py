"""What each operator role may do in the console: permissions named by resource family
and verb, one table from role to permissions. Pure: the console's `require` asks it."""

from __future__ import annotations

from typing import Final, Literal, get_args

Role = Literal["owner", "admin", "finance", "support", "analyst"]
ROLES: Final[tuple[Role, ...]] = get_args(Role)

Permission = Literal[
    "metrics.read",
    "customers.read",
    "customers.write",
    "subscriptions.read",
    "subscriptions.write",
    "invoices.read",
    "invoices.write",
    "payments.read",
    "refunds.write",
    "catalog.read",
    "catalog.write",
    "settings.read",
    "settings.write",
    "support.read",
    "support.write",
    "users.read",
    "users.manage",
    "api_keys.manage",
    "audit.read",
]
PERMISSIONS: Final[tuple[Permission, ...]] = get_args(Permission)

# Reading the business: what every role sees.
_READ: Final[frozenset[Permission]] = frozenset(
    {
        "metrics.read",
        "customers.read",
        "subscriptions.read",
        "invoices.read",
        "payments.read",
        "catalog.read",
        "support.read",
        "users.read",
    }
)

GRANTS: Final[dict[Role, frozenset[Permission]]] = {
    "owner": frozenset(PERMISSIONS),
    "admin": frozenset(PERMISSIONS),
    "finance": _READ
    | {"settings.read", "invoices.write", "refunds.write", "customers.write", "audit.read"},
    "support": _READ | {"customers.write", "subscriptions.write", "support.write"},
    "analyst": _READ,
}


def allows(role: str, permission: Permission) -> bool:
    """Whether `role` holds `permission`; an unknown role holds none."""
    return permission in GRANTS.get(role, frozenset())  # type: ignore[call-overload]


def may_assign(role: str, assigned: str) -> bool:
    """Whether someone with `role` may give (or take away) the role `assigned`: managing
    the team needs `users.manage`, and only an owner makes or unmakes owners."""
    if not allows(role, "users.manage") or assigned not in ROLES:
        return False
    return assigned != "owner" or role == "owner"
