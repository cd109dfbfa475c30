"""The console's sections, in the order the navigation shows them, each with the
permission that opens it."""

from __future__ import annotations

from dataclasses import dataclass

from recura.core.permissions import Permission


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    path: str
    permission: Permission


SECTIONS = (
    Section("home", "/console", "metrics.read"),
    Section("customers", "/console/customers", "customers.read"),
    Section("subscriptions", "/console/subscriptions", "subscriptions.read"),
    Section("invoices", "/console/invoices", "invoices.read"),
    Section("payments", "/console/payments", "payments.read"),
    Section("catalog", "/console/catalog", "catalog.read"),
    Section("settings", "/console/settings", "settings.read"),
    Section("support", "/console/support", "support.read"),
    Section("team", "/console/team", "users.read"),
    Section("api_keys", "/console/api-keys", "api_keys.manage"),
    Section("audit_log", "/console/audit-log", "audit.read"),
)


def current(path: str) -> str | None:
    """The section a path belongs to (the longest matching prefix)."""
    found = None
    for section in SECTIONS:
        # Home is the console's root: only itself, not every page under it.
        nested = section.key != "home" and path.startswith(section.path + "/")
        inside = path == section.path or nested
        if inside and (found is None or len(section.path) > len(found.path)):
            found = section
    return found.key if found else None
