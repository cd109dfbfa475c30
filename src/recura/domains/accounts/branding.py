"""What an account's public pages look like and who may frame them: the checks on its slug,
colour, legal links and embedding origins."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, StringConstraints

_SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
# Addresses Recura's own pages use under /p/: a slug equal to one would hide a page.
RESERVED_SLUGS = frozenset({"assets", "static", "api", "v1", "portal", "checkout", "p"})
# White text on the brand colour must stay readable (WCAG 2.1 AA for normal text).
MIN_CONTRAST = 4.5


def _slug(value: str) -> str:
    if value in RESERVED_SLUGS:
        raise ValueError(f"{value!r} is reserved; choose another slug")
    return value


def luminance(color: str) -> float:
    """WCAG 2.1 relative luminance of `#rrggbb`."""
    channels = []
    for start in (1, 3, 5):
        c = int(color[start : start + 2], 16) / 255
        channels.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_with_white(color: str) -> float:
    return 1.05 / (luminance(color) + 0.05)


def _color(value: str) -> str:
    value = value.lower()
    ratio = contrast_with_white(value)
    if ratio < MIN_CONTRAST:
        raise ValueError(
            f"white text on {value} has a contrast of {ratio:.2f}:1; buttons need at least "
            f"{MIN_CONTRAST}:1 to be readable: choose a darker colour"
        )
    return value


def _https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("must be an https:// address")
    return value


def _origin(value: str) -> str:
    parts = urlsplit(value)
    local = parts.hostname in ("localhost", "127.0.0.1")
    if parts.scheme not in ("https", "http") or (parts.scheme == "http" and not local):
        raise ValueError("must be an https:// origin (http only for localhost)")
    if not parts.hostname or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("must be an origin: scheme, host and port only, like https://shop.ro")
    return f"{parts.scheme}://{parts.netloc}".lower()


Slug = Annotated[str, StringConstraints(pattern=_SLUG), AfterValidator(_slug)]
BrandColor = Annotated[
    str, StringConstraints(pattern=re.compile(r"^#[0-9a-fA-F]{6}$")), AfterValidator(_color)
]
LegalUrl = Annotated[str, StringConstraints(max_length=500), AfterValidator(_https_url)]
EmbedOrigin = Annotated[str, StringConstraints(max_length=200), AfterValidator(_origin)]
