"""Content-Security-Policy for the pages: scripts and styles only from the app or with the
response's nonce, nothing framed unless the page says by whom, forms posting only to us
(and to the processor a checkout hands the subscriber over to)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# A page that says nothing else: no scripts, no framing.
DEFAULT = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


# Stripe.js from Stripe talks to Stripe's API; a local Stripe-compatible server's copy talks
# to that server, its own origin.
STRIPE_API_FOR = {"https://js.stripe.com": "https://api.stripe.com"}


def nonce() -> str:
    return secrets.token_urlsafe(18)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True, slots=True)
class Policy:
    """What one page may load, beyond the app itself."""

    nonce: str
    # Sites that may frame the page ('none' when empty).
    frame_ancestors: tuple[str, ...] = ()
    # Stripe.js: its script origin, and the API origin it talks to.
    stripe_js: str | None = None
    stripe_api: str | None = None
    # Where a form may lead (a processor's approval page after a redirect).
    form_targets: tuple[str, ...] = field(default=())

    def header(self) -> str:
        script = ["'self'", f"'nonce-{self.nonce}'"]
        frames: list[str] = []
        connect = ["'self'"]
        if self.stripe_js:
            stripe = origin(self.stripe_js)
            script.append(stripe)
            frames.append(stripe)
            connect.append(stripe)
            if self.stripe_api:
                connect.append(origin(self.stripe_api))
        ancestors = " ".join(self.frame_ancestors) or "'none'"
        parts = [
            "default-src 'none'",
            "script-src " + " ".join(script),
            f"style-src 'self' 'nonce-{self.nonce}'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src " + " ".join(connect),
            "frame-src " + (" ".join(frames) or "'none'"),
            "form-action " + " ".join(("'self'", *_unique(self.form_targets))),
            f"frame-ancestors {ancestors}",
            "base-uri 'none'",
        ]
        return "; ".join(parts)


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
