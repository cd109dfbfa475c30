"""An endpoint named by id alone (the console's endpoint page) is found in its own mode and
only in its own account; replaying one event twice queues the one delivery again, never a
second row."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import WebhookDelivery
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.errors import NotFoundError
from recura.domains.common.tenant import Tenant
from recura.domains.webhook_endpoints import service
from recura.domains.webhook_endpoints.schemas import Replay, WebhookEndpointCreate
from tests.conftest import T0, Merchant, make_merchant
from tests.notifications.test_webhooks_out import record


def test_an_endpoint_is_found_in_its_mode_and_account_and_a_replay_adds_no_row(
    session_factory: sessionmaker[Session], merchant: Merchant, client: TestClient
) -> None:
    test = Tenant(merchant.account_id, livemode=False)
    with unit_of_work(session_factory) as session:
        made = service.create(
            session, test, WebhookEndpointCreate(url="http://127.0.0.1:9/h"), T0, True
        )
        endpoint_id = made.id
    with unit_of_work(session_factory) as session:
        assert service.mode_of(session, merchant.account_id, endpoint_id) == test
    other = make_merchant(session_factory, client, "Other SRL")
    with unit_of_work(session_factory) as session, pytest.raises(NotFoundError):
        service.mode_of(session, other.account_id, endpoint_id)
    event_id = record(session_factory, merchant, "invoice.paid")
    for _ in range(2):
        with unit_of_work(session_factory) as session:
            assert service.replay(session, test, endpoint_id, Replay(event=event_id), T0) == 1
    with unit_of_work(session_factory) as session:
        rows = session.scalar(
            select(func.count()).where(
                WebhookDelivery.account_id == merchant.account_id,
                WebhookDelivery.event_id == event_id,
            )
        )
        assert rows == 1
