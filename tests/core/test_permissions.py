"""The role → permission table: owners and admins hold everything, the analyst only reads,
and only an owner gives or takes the owner role."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from recura.core import permissions
from recura.core.permissions import PERMISSIONS, ROLES


def test_every_role_reads_the_business() -> None:
    for role in ROLES:
        assert permissions.allows(role, "metrics.read")
        assert permissions.allows(role, "customers.read")


def test_the_table() -> None:
    assert permissions.GRANTS["owner"] == set(PERMISSIONS)
    assert permissions.GRANTS["admin"] == set(PERMISSIONS)
    assert all(p.endswith(".read") for p in permissions.GRANTS["analyst"])
    assert permissions.allows("finance", "refunds.write")
    assert not permissions.allows("finance", "catalog.write")
    assert not permissions.allows("support", "refunds.write")
    assert permissions.allows("support", "support.write")
    for role in ("finance", "support", "analyst"):
        assert not permissions.allows(role, "users.manage")
        assert not permissions.allows(role, "api_keys.manage")
        assert not permissions.allows(role, "settings.write")
    assert not permissions.allows("nobody", "metrics.read")


@pytest.mark.parametrize(
    ("role", "assigned", "allowed"),
    [
        ("owner", "owner", True),
        ("owner", "analyst", True),
        ("admin", "admin", True),
        ("admin", "owner", False),
        ("finance", "analyst", False),
        ("owner", "superuser", False),
    ],
)
def test_who_may_give_which_role(role: str, assigned: str, allowed: bool) -> None:
    assert permissions.may_assign(role, assigned) is allowed


def test_the_documented_table_is_the_codes() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "console.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z_.]+)` \|(.*)\|$", doc, flags=re.MULTILINE)
    documented = {
        permission: {
            role for role, cell in zip(ROLES, cells.split("|"), strict=True) if cell.strip()
        }
        for permission, cells in rows
    }
    assert documented == {p: {r for r in ROLES if permissions.allows(r, p)} for p in PERMISSIONS}
