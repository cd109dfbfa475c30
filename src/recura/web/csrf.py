"""Which form posts to trust.

Every form carries a key: an HMAC, under the app's secret, of the form's name and what the
post is bound to — the signed link in the address, the visitor's portal session, or for a
visitor without either (sign-in, checkout) a random value in a cookie of their own. A
cross-site page can neither read nor compute it. On top of that, a browser that says the
post comes from another site (Sec-Fetch-Site, else Origin) is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

_CONTEXT = b"recura portal forms v1"
COOKIE = "recura_csrf"


def form_key(secret: bytes, binding: str, form: str) -> str:
    key = hmac.new(secret, _CONTEXT, hashlib.sha256).digest()
    return hmac.new(key, f"{form}\0{binding}".encode(), hashlib.sha256).hexdigest()


def form_accepted(request: Request, binding: str, form: str, fields: dict[str, str]) -> bool:
    """The post carries this form's key for `binding` and does not come from another site."""
    if not binding:
        return False
    expected = form_key(request.app.state.secret, binding, form)
    if not hmac.compare_digest(expected, fields.get("form_key", "")):
        return False
    return same_site(request)


def same_site(request: Request) -> bool:
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    # "null" is what a browser sends under Referrer-Policy: no-referrer.
    if origin is None or origin == "null":
        return True
    public = request.app.state.settings.public_url
    return _origin(origin) in {_origin(public), _origin(str(request.base_url))}


def visitor_binding(request: Request) -> str:
    """The visitor's own random value (from their cookie, or a new one `remember` sets)."""
    found = request.cookies.get(COOKIE, "")
    if len(found) == 43:
        return found
    fresh: str = getattr(request.state, "csrf_binding", "") or secrets.token_urlsafe(32)
    request.state.csrf_binding = fresh
    return fresh


def remember(request: Request, response: Response) -> None:
    """Set the visitor's cookie if this request made their value."""
    fresh = getattr(request.state, "csrf_binding", None)
    if fresh:
        response.set_cookie(
            COOKIE, fresh, httponly=True, samesite="lax", secure=secure(request), path="/"
        )


def secure(request: Request) -> bool:
    return str(request.app.state.settings.public_url).startswith("https://")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
