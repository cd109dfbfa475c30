"""Which addresses a webhook may go to, and which URLs may be saved (no database)."""

from __future__ import annotations

import ipaddress

import pytest

from recura.domains.common.errors import InvalidError
from recura.domains.webhook_endpoints import targets
from recura.domains.webhook_endpoints.service import matches


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104 (an address to refuse, not one to bind)
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:10.0.0.1",  # IPv4-mapped
        "::",
    ],
)
def test_private_and_special_addresses_are_blocked(address: str) -> None:
    assert targets.blocked(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_are_not(address: str) -> None:
    assert targets.blocked(ipaddress.ip_address(address)) is None


def test_saving_checks_literal_addresses_and_local_names_without_resolving() -> None:
    assert targets.check_url("https://hooks.merchant.example/x", True, False)
    for url in ("http://192.168.0.10/", "http://localhost/", "http://db.internal/"):
        with pytest.raises(InvalidError):
            targets.check_url(url, False, False)
    assert targets.check_url("http://127.0.0.1:8080/", False, True)


def test_a_send_refuses_a_name_that_resolves_to_loopback() -> None:
    with pytest.raises(targets.Refused, match="loopback"):
        targets.resolve("http://localhost:8080/hooks", allow_private=False)
    host, port, address = targets.resolve("http://localhost:8080/hooks", allow_private=True)
    assert (host, port) == ("localhost", 8080)
    assert address.is_loopback


def test_filters_match_names_families_and_everything() -> None:
    assert matches(["*"], "invoice.paid")
    assert matches(["invoice.*"], "invoice.payment_failed")
    assert not matches(["invoice.*"], "invoices.paid")
    assert matches(["payment.succeeded"], "payment.succeeded")
    assert not matches(["payment.succeeded"], "payment.failed")
    assert not matches(["payment.*"], "payment_method.attached")
