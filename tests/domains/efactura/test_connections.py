"""Connecting an account to ANAF (OAuth2 against the local fake), the tokens kept sealed,
refreshed before they end, and the warning before the refresh token itself ends."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.models import AnafCall, AnafConnection, Event
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.errors import ConflictError
from recura.domains.common.tenant import Tenant
from recura.domains.efactura import connections, refreshing, sending
from recura.domains.efactura.connections import Anaf
from recura.gateways.anaf import oauth
from tests.conftest import Merchant
from tests.domains.efactura.conftest import CALLBACK, CIF, CLIENT_ID, CLIENT_SECRET, connect
from tests.domains.efactura.documents import add_einvoice, row
from tests.domains.efactura.test_sending import first_invoice
from tests.event_contract import check_recorded
from tests.fakes.anaf_server import FakeAnaf


def stored(factory: sessionmaker[Session], account_id: str) -> AnafConnection:
    with unit_of_work(factory) as session:
        conn = session.scalars(
            select(AnafConnection).where(AnafConnection.account_id == account_id)
        ).one()
        session.expunge(conn)
        return conn


def refresh(factory: sessionmaker[Session], clock: FixedClock, anaf: Anaf) -> int:
    return refreshing.refresh_due(lambda: unit_of_work(factory), clock, anaf=anaf)


def test_connecting_keeps_the_secret_and_tokens_sealed(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
) -> None:
    merchant.api.ok("PATCH", "/v1/account", json={"vat_id": f"RO{CIF}"})
    assert merchant.api.ok("GET", "/v1/anaf_connection") == {
        "connected": False,
        "id": None,
        "cif": None,
        "environment": None,
        "client_id": None,
        "connected_at": None,
        "access_expires_at": None,
        "refresh_expires_at": None,
        "refresh_expiring": False,
        "last_error": None,
    }
    tenant = Tenant(merchant.account_id, False)
    connect(session_factory, tenant, anaf, clock.now())
    conn = stored(session_factory, merchant.account_id)
    assert conn.cif == CIF
    assert conn.pending_state is None
    for sealed in (conn.client_secret, conn.access_token, conn.refresh_token):
        assert sealed is not None
        assert sealed.startswith("f1.")
        assert sealed not in fake_anaf.access
        assert sealed not in fake_anaf.refresh
    access = connections.unseal(anaf, conn, "access token", conn.access_token or "")
    assert access in fake_anaf.access
    # Sealed for this account and mode: it opens nowhere else.
    other = AnafConnection(account_id="acct_other", livemode=False)
    with pytest.raises(ValueError, match="another key or context"):
        connections.unseal(anaf, other, "access token", conn.access_token or "")
    # The token's own `exp` says when it ends (90 days), and the refresh token's (a year).
    assert conn.access_expires_at == clock.now().replace(microsecond=0) + oauth.ACCESS_LIFETIME
    assert conn.refresh_expires_at == clock.now().replace(microsecond=0) + oauth.REFRESH_LIFETIME
    shown = merchant.api.ok("GET", "/v1/anaf_connection")
    assert (shown["connected"], shown["environment"], shown["cif"]) == (True, "test", CIF)
    assert shown["refresh_expiring"] is False
    # Live mode is another connection, to ANAF's production environment.
    assert merchant.live.ok("GET", "/v1/anaf_connection")["connected"] is False


def test_a_callback_must_carry_the_state_sent_and_only_once(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
) -> None:
    merchant.api.ok("PATCH", "/v1/account", json={"vat_id": f"RO{CIF}"})
    tenant = Tenant(merchant.account_id, False)
    with unit_of_work(session_factory) as session:
        url = connections.start(
            session, tenant, anaf, CLIENT_ID, CLIENT_SECRET, CALLBACK, clock.now()
        )
    query = parse_qs(urlsplit(url).query)
    assert query["token_content_type"] == ["jwt"]
    assert query["redirect_uri"] == [CALLBACK]
    back = parse_qs(urlsplit(httpx.get(url).headers["location"]).query)
    with pytest.raises(ConflictError), unit_of_work(session_factory) as session:
        connections.begin_callback(session, tenant, anaf, "forged-state")
    with unit_of_work(session_factory) as session:
        connections.begin_callback(session, tenant, anaf, back["state"][0])
    with pytest.raises(ConflictError), unit_of_work(session_factory) as session:
        connections.begin_callback(session, tenant, anaf, back["state"][0])


def test_connecting_needs_the_accounts_cui(
    session_factory: sessionmaker[Session], merchant: Merchant, clock: FixedClock, anaf: Anaf
) -> None:
    tenant = Tenant(merchant.account_id, False)
    with pytest.raises(ConflictError, match="CUI"), unit_of_work(session_factory) as session:
        connections.start(session, tenant, anaf, CLIENT_ID, CLIENT_SECRET, CALLBACK, clock.now())


def test_tokens_are_refreshed_before_they_end_and_uploads_go_on(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
) -> None:
    invoice = first_invoice(merchant)
    connect(session_factory, Tenant(merchant.account_id, False), anaf, clock.now())
    before = stored(session_factory, merchant.account_id)
    assert refresh(session_factory, clock, anaf) == 0  # 90 days left: nothing to do
    clock.advance(oauth.ACCESS_LIFETIME - connections.REFRESH_BEFORE + timedelta(minutes=1))
    assert refresh(session_factory, clock, anaf) == 1
    after = stored(session_factory, merchant.account_id)
    assert after.refreshed_at == clock.now()
    assert after.access_expires_at is not None
    assert before.access_expires_at is not None
    assert after.access_expires_at > before.access_expires_at
    old_refresh = connections.unseal(anaf, before, "refresh token", before.refresh_token or "")
    new_refresh = connections.unseal(anaf, after, "refresh token", after.refresh_token or "")
    assert new_refresh != old_refresh  # rotated: the old one is spent at ANAF
    assert fake_anaf.refresh[old_refresh].spent
    # The old access token is gone at ANAF; the new one uploads.
    fake_anaf.expire_access_tokens()
    new_access = connections.unseal(anaf, after, "access token", after.access_token or "")
    assert new_access in fake_anaf.access
    fake_anaf.access[new_access].expires_at = after.access_expires_at
    einvoice = add_einvoice(session_factory, merchant.account_id, invoice["id"], clock.now())
    sending.upload_due(lambda: unit_of_work(session_factory), clock, anaf=anaf)
    assert row(session_factory, merchant.account_id, einvoice).state == "uploaded"


def test_a_refused_refresh_is_shown_and_tried_again_later(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
) -> None:
    merchant.api.ok("PATCH", "/v1/account", json={"vat_id": f"RO{CIF}"})
    connect(session_factory, Tenant(merchant.account_id, False), anaf, clock.now())
    fake_anaf.clients[CLIENT_ID].secret = "changed-at-anaf"
    clock.advance(oauth.ACCESS_LIFETIME - timedelta(days=1))
    refresh(session_factory, clock, anaf)
    conn = stored(session_factory, merchant.account_id)
    assert conn.last_error == "invalid_client"
    assert conn.refresh_after == clock.now() + connections.RETRY_REFRESH
    assert refresh(session_factory, clock, anaf) == 0  # waits
    assert merchant.api.ok("GET", "/v1/anaf_connection")["last_error"] == "invalid_client"


def test_the_merchant_is_warned_before_the_refresh_token_ends(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
    client: TestClient,
) -> None:
    merchant.api.ok("PATCH", "/v1/account", json={"vat_id": f"RO{CIF}"})
    connect(session_factory, Tenant(merchant.account_id, False), anaf, clock.now())
    conn = stored(session_factory, merchant.account_id)
    assert conn.refresh_expires_at is not None
    clock.advance(conn.refresh_expires_at - connections.WARN_BEFORE - clock.now())
    clock.advance(timedelta(seconds=1))
    refresh(session_factory, clock, anaf)
    refresh(session_factory, clock, anaf)  # once only
    with unit_of_work(session_factory) as session:
        warned = list(
            session.scalars(
                select(Event).where(
                    Event.account_id == merchant.account_id,
                    Event.type == "anaf_connection.expiring",
                )
            )
        )
    assert len(warned) == 1
    assert warned[0].data["cif"] == CIF
    assert merchant.api.ok("GET", "/v1/anaf_connection")["refresh_expiring"] is True
    check_recorded(session_factory, merchant.account_id, client.app)  # type: ignore[arg-type]


def test_yesterdays_call_counts_are_dropped(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    anaf: Anaf,
) -> None:
    def count(window: str) -> AnafCall:
        return AnafCall(
            account_id=merchant.account_id,
            livemode=False,
            cif=CIF,
            window=window,
            method="stareMesaj",
            subject="1",
            count=3,
        )

    with unit_of_work(session_factory) as session:
        session.add_all([count("2026-01-14"), count("2026-01-15")])
    refresh(session_factory, clock, anaf)
    with unit_of_work(session_factory) as session:
        kept = session.scalars(select(AnafCall.window)).all()
    assert kept == ["2026-01-15"]
