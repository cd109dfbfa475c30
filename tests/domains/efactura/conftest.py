"""Each test here has a database of its own (`tests.own_database`): the e-Factura worker
takes every due e-invoice it finds, and then finds only that test's. ANAF is a local fake
(`tests/fakes/anaf_server.py`) on the test's clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.tenant import Tenant
from recura.domains.efactura import connections
from recura.domains.efactura.connections import Anaf
from tests.conftest import SECRET
from tests.fakes.anaf_server import FakeAnaf, running_fake_anaf
from tests.own_database import database_url, engine, session_factory

__all__ = ["database_url", "engine", "session_factory"]

CIF = "18547290"
CLIENT_ID, CLIENT_SECRET = "recura-app", "app-secret"
CALLBACK = "https://billing.example.ro/console/settings/anaf/callback"


@pytest.fixture
def fake_anaf(clock: FixedClock) -> Iterator[FakeAnaf]:
    with running_fake_anaf(now=clock.now) as fake:
        fake.add_client(CLIENT_ID, CLIENT_SECRET, cifs={CIF})
        yield fake


@pytest.fixture
def anaf(fake_anaf: FakeAnaf) -> Anaf:
    return Anaf(SECRET.encode(), fake_anaf.base_url, fake_anaf.base_url)


def connect(factory: sessionmaker[Session], tenant: Tenant, anaf: Anaf, now: datetime) -> None:
    """What the settings page does: ANAF's page, the callback, the exchange, the store."""
    with unit_of_work(factory) as session:
        url = connections.start(session, tenant, anaf, CLIENT_ID, CLIENT_SECRET, CALLBACK, now)
    answer = httpx.get(url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    back = parse_qs(urlsplit(answer.headers["location"]).query)
    with unit_of_work(factory) as session:
        pending = connections.begin_callback(session, tenant, anaf, back["state"][0])
    tokens = connections.exchange(anaf, pending, back["code"][0], now)
    with unit_of_work(factory) as session:
        connections.store(session, tenant, anaf, tokens, now)
