"""ANAF's OAuth2 authorisation code grant (logincert.anaf.ro/anaf-oauth2/v1): the browser
goes to `authorize` (where the company's qualified certificate is asked for) and comes
back with a code; `token` exchanges it, with the client's id and secret as HTTP Basic, for
an access token (a JWT, 90 days) and a refresh token (365 days); `token` again with the
refresh token gives new ones without the certificate. The host is the same for ANAF's
test and production environments."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from recura.gateways.anaf.http import request
from recura.staged import Deadline

PRODUCTION_BASE = "https://logincert.anaf.ro"
PATH = "/anaf-oauth2/v1"
# ANAF's published lifetimes, used when a token does not say its own (`exp`).
ACCESS_LIFETIME = timedelta(days=90)
REFRESH_LIFETIME = timedelta(days=365)


class TokenRefused(Exception):
    """ANAF answered the token request with an OAuth error (a bad code or client, a
    refresh token expired or revoked)."""


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str
    access_expires_at: datetime
    # None: the refresh token does not say when it expires.
    refresh_expires_at: datetime | None


def authorize_url(base: str, client_id: str, redirect_uri: str, state: str) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "token_content_type": "jwt",
        "state": state,
    }
    return f"{base}{PATH}/authorize?{urlencode(query)}"


def exchange_code(
    base: str, client_id: str, client_secret: str, code: str, redirect_uri: str, now: datetime
) -> Tokens:
    return _token(
        base,
        client_id,
        client_secret,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "token_content_type": "jwt",
        },
        now,
    )


def refresh(
    base: str,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    now: datetime,
    deadline: Deadline | None = None,
) -> Tokens:
    """New tokens: ANAF rotates the refresh token too, so both are to be kept."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return _token(base, client_id, client_secret, form, now, deadline)


def _token(
    base: str,
    client_id: str,
    client_secret: str,
    form: dict[str, str],
    now: datetime,
    deadline: Deadline | None = None,
) -> Tokens:
    response = request(
        "POST",
        f"{base}{PATH}/token",
        data=form,
        auth=(client_id, client_secret),
        deadline=deadline,
    )
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict) or "access_token" not in body:
        error = (
            body.get("error_description") or body.get("error") if isinstance(body, dict) else None
        )
        raise TokenRefused(str(error or f"HTTP {response.status_code}")[:300])
    access = str(body["access_token"])
    refresh_token = str(body.get("refresh_token") or "")
    if not refresh_token:
        raise TokenRefused("the answer has no refresh token")
    expires_in = body.get("expires_in")
    access_expires = _expiry(access) or (
        now + timedelta(seconds=int(expires_in)) if expires_in else now + ACCESS_LIFETIME
    )
    return Tokens(access, refresh_token, access_expires, _expiry(refresh_token))


def _expiry(token: str) -> datetime | None:
    """A JWT's `exp`, read without checking its signature: only to know when to refresh
    (ANAF checks the token; a forged one gains nothing here)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    padded = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromtimestamp(int(claims["exp"]), UTC)
    except (binascii.Error, ValueError, KeyError, TypeError, OverflowError):
        return None
