"""The ANAF e-Factura settings page: an owner saves the ANAF application, goes to ANAF's
authorize page (the local fake) and comes back connected, the tokens stored sealed; a
forged callback is refused; the page reads in Romanian too; a role without
settings.write is refused."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.config import anaf_bases
from recura.db.models import AnafConnection, AuditEntry
from recura.db.unit_of_work import unit_of_work
from tests.conftest import Merchant
from tests.console.conftest import Operator, add_user, browser, sign_in, signed_in
from tests.fakes.anaf_server import FakeAnaf, running_fake_anaf
from tests.portal.conftest import Page

CIF = "18547290"


@pytest.fixture
def fake_anaf(clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAnaf]:
    with running_fake_anaf(now=clock.now) as fake:
        fake.add_client("recura-app", "app-secret", cifs={CIF})
        monkeypatch.setenv("RECURA_ANAF_OAUTH_BASE", fake.base_url)
        monkeypatch.setenv("RECURA_ANAF_API_BASE", fake.base_url)
        anaf_bases.cache_clear()
        yield fake
    anaf_bases.cache_clear()


def actions(factory: sessionmaker[Session], merchant: Merchant) -> list[str]:
    with unit_of_work(factory) as session:
        stmt = select(AuditEntry.action).where(
            AuditEntry.account_id == merchant.account_id,
            AuditEntry.action.like("anaf_connection.%"),
        )
        return sorted(session.scalars(stmt))


def connect(own: TestClient, fake: FakeAnaf, mode: str = "test") -> Page:
    page = own.get("/console/settings/anaf")
    # The connect form's answer leads to ANAF: the page's CSP lets the form go there.
    assert f"form-action 'self' {fake.base_url}" in page.headers["content-security-policy"]
    form = Page(page).form("form-connect")
    sent = own.post(
        "/console/settings/anaf",
        data={**form, "mode": mode, "client_id": "recura-app", "client_secret": "app-secret"},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"].startswith(f"{fake.base_url}/anaf-oauth2/v1/authorize?")
    # ANAF asks for the certificate, then sends the browser back with a code.
    back = httpx.get(sent.headers["location"], follow_redirects=False).headers["location"]
    parts = urlsplit(back)
    assert parts.path == "/console/settings/anaf/callback"
    done = own.get(f"{parts.path}?{parts.query}", follow_redirects=False)
    assert done.status_code == 303, done.text
    return Page(own.get(done.headers["location"]))


def test_an_owner_connects_through_anafs_page_and_disconnects(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    owner: tuple[TestClient, Operator],
    fake_anaf: FakeAnaf,
) -> None:
    merchant.api.ok("PATCH", "/v1/account", json={"vat_id": f"RO{CIF}"})
    own, _ = owner
    page = connect(own, fake_anaf)
    assert "Connected to ANAF." in page.text
    assert f"CUI {CIF}, application recura-app." in page.text
    with unit_of_work(session_factory) as session:
        conn = session.scalars(
            select(AnafConnection).where(AnafConnection.account_id == merchant.account_id)
        ).one()
        assert conn.livemode is False
        assert conn.access_token is not None
        assert conn.access_token.startswith("f1.")
        assert "app-secret" not in conn.client_secret
    assert merchant.api.ok("GET", "/v1/anaf_connection")["connected"] is True
    assert actions(session_factory, merchant) == [
        "anaf_connection.connect",
        "anaf_connection.start",
    ]
    form = page.form("form-disconnect-test")
    gone = own.post("/console/settings/anaf/disconnect", data=form, follow_redirects=False)
    assert gone.status_code == 303
    assert "Disconnected from ANAF" in Page(own.get(gone.headers["location"])).text
    assert merchant.api.ok("GET", "/v1/anaf_connection")["connected"] is False


def test_a_callback_not_started_here_is_refused(
    owner: tuple[TestClient, Operator], merchant: Merchant, fake_anaf: FakeAnaf
) -> None:
    own, _ = owner
    forged = own.get("/console/settings/anaf/callback?code=abc&state=test.forged")
    assert forged.status_code == 409
    assert "does not belong to a connection being made here" in Page(forged).text
    refused = Page(own.get("/console/settings/anaf/callback?error=access_denied"))
    assert "ANAF did not authorise the connection" in refused.text


def test_without_a_cui_the_page_says_what_to_do_in_romanian(
    client: TestClient,
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    fake_anaf: FakeAnaf,
) -> None:
    operator = add_user(session_factory, merchant, "owner", locale="ro")
    own = browser(client)
    sign_in(own, operator.email)
    form = Page(own.get("/console/settings/anaf")).form("form-connect")
    sent = own.post(
        "/console/settings/anaf",
        data={**form, "client_id": "recura-app", "client_secret": "app-secret"},
    )
    assert sent.status_code == 409
    assert "Completați mai întâi codul de TVA al contului" in Page(sent).text


def test_a_role_without_settings_write_is_refused(
    client: TestClient, session_factory: sessionmaker[Session], merchant: Merchant
) -> None:
    own, _ = signed_in(client, session_factory, merchant, "finance")
    assert own.get("/console/settings/anaf").status_code == 403
