"""Which webhook URLs may be called: http(s) only, and never this server's own networks.

Without the guard anyone with an API key could make the server probe its neighbours
(metadata services, databases, admin pages). The address is checked when the endpoint is
saved (an IP literal or `localhost`) and again, after resolving the name, at every send:
DNS can change in between. `RECURA_WEBHOOKS_ALLOW_PRIVATE` lifts it for development.

An address has many spellings that resolvers accept (`2130706433`, `127.1`, `0x7f.1`,
`0177.0.0.1`, full-width digits, a trailing dot): a host is read the way the resolver
will read it before it is judged, and one that ends in a number without being an address
is refused outright.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import unicodedata
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


_NUMBER = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")
_LOCAL_NAMES = (".localhost", ".local", ".internal")


class BadHost(ValueError):
    """A host that ends in a number but is no address: resolvers disagree on such names."""


def canonical_host(host: str) -> str:
    """The name as a resolver reads it: compatibility forms folded (full-width digits and
    dots), lower case, without the root's trailing dot."""
    folded = unicodedata.normalize("NFKC", host).replace("\u3002", ".").lower()
    return folded[:-1] if folded.endswith(".") else folded


def literal(host: str) -> Address | None:
    """The address `host` spells, in any of the forms inet_aton and getaddrinfo accept."""
    name = canonical_host(host.strip("[]"))
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        pass
    parts = name.split(".")
    if not parts or not _NUMBER.match(parts[-1]):
        return None
    if len(parts) > 4 or not all(_NUMBER.match(part) for part in parts):
        raise BadHost(f"{host} is neither a name nor an address")
    numbers = [_number(part) for part in parts]
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(parts)):
        raise BadHost(f"{host} is not a valid address")
    value = last
    for index, number in enumerate(leading):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _number(part: str) -> int:
    if part.startswith("0x"):
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        try:
            return int(part, 8)
        except ValueError:
            raise BadHost(f"{part} is not an octal number") from None
    return int(part)


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
    try:
        address = literal(host)
    except BadHost as bad:
        raise invalid(pointer, f"refused: {bad}") from None
    name = canonical_host(host)
    if address is not None:
        reason = blocked(address)
        if reason is not None:
            raise invalid(pointer, f"refused: {reason}")
    elif name == "localhost" or name.endswith(_LOCAL_NAMES):
        raise invalid(pointer, f"refused: {host} names this server's own network")
    return url


class Refused(Exception):
    """The target may not be called (or could not be resolved); the message says why."""


def resolve(url: str, allow_private: bool) -> tuple[str, int, Address]:
    """(host, port, the address to connect to) for a send, refusing blocked addresses."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        address = literal(host)
    except BadHost as bad:
        raise Refused(f"refused: {bad}") from None
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
