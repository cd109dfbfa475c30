"""The worker runs the e-Factura handlers with the server's settings: the app's secret
opens the sealed tokens, and ANAF's hosts are the settings' (here, the local fake)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.config import anaf_bases, get_settings
from recura.domains.common.tenant import Tenant
from recura.domains.efactura.connections import Anaf
from recura.jobs import worker
from tests.conftest import SECRET, Merchant
from tests.domains.efactura.conftest import connect
from tests.domains.efactura.documents import add_einvoice, row
from tests.domains.efactura.test_sending import first_invoice
from tests.fakes.anaf_server import FakeAnaf


def test_a_worker_pass_uploads_with_the_servers_settings(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    clock: FixedClock,
    fake_anaf: FakeAnaf,
    anaf: Anaf,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    invoice = first_invoice(merchant)
    connect(session_factory, Tenant(merchant.account_id, False), anaf, clock.now())
    einvoice = add_einvoice(session_factory, merchant.account_id, invoice["id"], clock.now())
    monkeypatch.setenv("RECURA_SECRET_KEY", SECRET)
    monkeypatch.setenv("RECURA_ANAF_OAUTH_BASE", fake_anaf.base_url)
    monkeypatch.setenv("RECURA_ANAF_API_BASE", fake_anaf.base_url)
    get_settings.cache_clear()
    anaf_bases.cache_clear()
    try:
        done = worker.run_until_idle(
            session_factory, clock, only={"upload_einvoices", "refresh_anaf_tokens"}
        )
    finally:
        get_settings.cache_clear()
        anaf_bases.cache_clear()
    assert done == {"upload_einvoices": 1, "refresh_anaf_tokens": 0}
    assert row(session_factory, merchant.account_id, einvoice).state == "uploaded"
