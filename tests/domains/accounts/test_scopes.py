from __future__ import annotations

import pytest

from recura.domains.accounts import scopes


def test_full_and_read_only_keys_take_no_permissions() -> None:
    assert scopes.check_permissions("full", {}) == {}
    assert scopes.check_permissions("read_only", {}) == {}
    with pytest.raises(ValueError, match="only with the scope `restricted`"):
        scopes.check_permissions("read_only", {"customers": "read"})


@pytest.mark.parametrize(
    ("permissions", "message"),
    [
        ({}, "at least one permission"),
        ({"nope": "read"}, "unknown resource family 'nope'"),
        ({"customers": "admin"}, "must be `read` or `write`"),
        ({"api_keys": "write"}, "only full keys may write 'api_keys'"),
    ],
)
def test_restricted_permissions_are_checked(permissions: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        scopes.check_permissions("restricted", permissions)


def test_restricted_permissions_are_kept() -> None:
    kept = scopes.check_permissions("restricted", {"usage": "write", "api_keys": "read"})
    assert kept == {"usage": "write", "api_keys": "read"}


@pytest.mark.parametrize("family", [*scopes.FAMILIES, None])
def test_a_full_key_may_do_anything(family: str | None) -> None:
    assert scopes.allows("full", {}, family, "write")


@pytest.mark.parametrize("family", scopes.FAMILIES)
def test_a_read_only_key_reads_every_family_and_writes_none(family: str) -> None:
    assert scopes.allows("read_only", {}, family, "read")
    assert not scopes.allows("read_only", {}, family, "write")


def test_writing_implies_reading_and_nothing_else_is_granted() -> None:
    granted = {"usage": "write", "catalog": "read"}
    assert scopes.allows("restricted", granted, "usage", "read")
    assert scopes.allows("restricted", granted, "usage", "write")
    assert scopes.allows("restricted", granted, "catalog", "read")
    assert not scopes.allows("restricted", granted, "catalog", "write")
    assert not scopes.allows("restricted", granted, "customers", "read")
    assert not scopes.allows("restricted", granted, None, "read")
    assert scopes.missing("catalog", "write") == "catalog:write"
