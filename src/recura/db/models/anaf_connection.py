from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import Base, TenantColumns


class AnafConnection(TenantColumns, Base):
    """An account's OAuth2 grant to ANAF's e-Factura, one per mode: test mode talks to
    ANAF's test environment, live mode to production.

    The merchant's own ANAF application (client id and secret) is authorised once in a
    browser with the company's qualified certificate; ANAF then gives an access token
    (90 days) and a refresh token (365 days), refreshed here without the certificate. The
    secret and both tokens are sealed (`domains/common/sealing.py`).
    """

    __tablename__ = "anaf_connections"
    __table_args__ = (UniqueConstraint("account_id", "livemode"),)

    # The seller's CIF, digits only: ANAF's `cif` parameter and the key of its limits.
    cif: Mapped[str] = mapped_column(String(16))
    client_id: Mapped[str] = mapped_column(String(200))
    client_secret: Mapped[str] = mapped_column(Text)
    redirect_uri: Mapped[str] = mapped_column(String(500))
    # The hash of the `state` sent to ANAF's authorize page, until its callback comes.
    pending_state: Mapped[str | None] = mapped_column(String(64))
    access_token: Mapped[str | None] = mapped_column(Text)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None]
    refresh_expires_at: Mapped[datetime | None]
    connected_at: Mapped[datetime | None]
    refreshed_at: Mapped[datetime | None]
    # A failed refresh waits until then; the last error is shown on the settings page.
    refresh_after: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    # When the merchant was told the refresh token is about to expire (once per grant).
    expiry_warned_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
