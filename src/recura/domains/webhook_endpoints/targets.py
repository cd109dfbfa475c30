"""Which webhook URLs may be called: http(s) only, and never this server's own networks.

Without the guard anyone with an API key could make the server probe its neighbours
(metadata services, databases, admin pages). The address is checked when the endpoint is
saved (an IP literal or `localhost`) and again, after resolving the name, at every send:
DNS can change in between. `RECURA_WEBHOOKS_ALLOW_PRIVATE` lifts it for development.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from recura.domains.common.errors import invalid

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL = 2048


def blocked(address: Address) -> str | None:
    """Why a request to `address` is refused, or None when it may be called."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for test, kind in (
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (address.is_unspecified, "unspecified"),
        (address.is_reserved, "reserved"),
        (address.is_private, "private"),
        (not address.is_global, "non-public"),
    ):
        if test:
            return f"{address} is a {kind} address"
    return None


def literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_url(url: str, livemode: bool, allow_private: bool, pointer: str = "/url") -> str:
    """`url` if it may be saved as an endpoint; a 422 naming what is wrong otherwise."""
    if len(url) > MAX_URL:
        raise invalid(pointer, f"must be at most {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise invalid(pointer, "is not a valid URL") from None
    if parts.scheme not in {"http", "https"}:
        raise invalid(pointer, "must be an http:// or https:// URL")
    if livemode and parts.scheme != "https" and not allow_private:
        raise invalid(pointer, "must be an https:// URL in live mode")
    host = parts.hostname
    if not host:
        raise invalid(pointer, "has no host")
    if parts.username is not None or parts.password is not None:
        raise invalid(pointer, "must not carry credentials; the signature authenticates")
    if any(c.isspace() for c in url) or port == 0:
        raise invalid(pointer, "is not a valid URL")
    if allow_private:
        return url
    address = literal(host)
    if address is not None:
        reason = blocked(address)
        if reason is not None:
            raise invalid(pointer, f"refused: {reason}")
    elif host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        raise invalid(pointer, f"refused: {host} names this server's own network")
    return url


class Refused(Exception):
    """The target may not be called (or could not be resolved); the message says why."""


def resolve(url: str, allow_private: bool) -> tuple[str, int, Address]:
    """(host, port, the address to connect to) for a send, refusing blocked addresses."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = literal(host)
    if address is not None:
        found = [address]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise Refused(f"could not resolve {host}: {exc}") from None
        found = [ipaddress.ip_address(info[4][0]) for info in infos]
        if not found:
            raise Refused(f"could not resolve {host}")
    if not allow_private:
        for candidate in found:
            reason = blocked(candidate)
            if reason is not None:
                raise Refused(f"refused: {host} resolves to {reason}")
    return host, port, found[0]
