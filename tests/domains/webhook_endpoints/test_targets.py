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


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",
        "http://127.1/",
        "http://0x7f.1/",
        "http://0177.0.0.1/",
        "http://0x7f000001/",
        "http://017700000001/",
        "http://127.0.0.1./",
        "http://localhost./",
        "http://LOCALHOST/",
        "http://api.localhost./",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[::1]:8080/",
        "http://0/",
        "http://10.1/",
        "http://192.168.257/",
        "http://\uff11\uff12\uff17\uff0e\uff10\uff0e\uff10\uff0e\uff11/",  # full-width
        "http://169.254.169.254/",
        "http://1.2.3.4.5/",  # ends in a number but is no address
        "http://hooks.example.123/",
        "http://256.0.0.1/",
        "http://08.0.0.1/",
    ],
)
def test_loopback_and_private_addresses_are_refused_in_any_spelling(url: str) -> None:
    with pytest.raises(InvalidError, match="refused"):
        targets.check_url(url, False, False)
    with pytest.raises(targets.Refused):
        targets.resolve(url, allow_private=False)


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("10.1.2", "10.1.0.2"),
        ("93.184.215.14", "93.184.215.14"),
        ("hooks.merchant.example", None),
    ],
)
def test_hosts_are_read_as_the_resolver_reads_them(host: str, address: str | None) -> None:
    found = targets.literal(host)
    assert (str(found) if found else None) == address


def test_public_addresses_in_other_spellings_may_be_saved() -> None:
    assert targets.check_url("http://1572394766/", False, False)  # 93.184.215.14
    assert targets.check_url("https://hooks.merchant.example./x", True, False)
