"""Where the processors send their webhooks. No API key: the signature is the proof, and
the address names the connection whose secret checks it.

Verifying can take a request to the processor (PayPal), so it runs outside any
transaction: one to read the connection, none while verifying, one to apply.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from recura.api.problems import ProblemError, problem_responses
from recura.api.routing import in_thread
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.fields import example
from recura.domains.common.tenant import Tenant
from recura.domains.payments import connections, processors, webhooks
from recura.gateways.base import GatewayEvent, GatewayTimeout, PaymentGateway, WebhookRejected

router = APIRouter(
    prefix="/webhooks", tags=["payments"], responses=problem_responses(400, 404, 413, 503)
)


class Received(BaseModel):
    model_config = example(
        {"received": True, "event": "evt_1Q0PsIJvEtkwdCNY", "outcome": "applied"}
    )

    received: Literal[True] = True
    event: str
    outcome: str  # applied | duplicate | stale | unchanged | ignored | unknown payment | ...


@router.post(
    "/{gateway}/{connection_id}",
    response_model=Received,
    summary="Receive a processor's webhook (Stripe or PayPal)",
    description="Verified with the connection's secret (Stripe) or by PayPal; each event is "
    "applied once however often it is delivered. 400 when it does not verify; 503 when "
    "PayPal could not be asked, so that it delivers the event again.",
)
async def receive(gateway: str, connection_id: str, request: Request) -> Received:
    body = await request.body()  # at most body_limit.PAGE_LIMIT
    factory: sessionmaker[Session] = request.app.state.session_factory
    tenant, processor = await in_thread(_connection, factory, gateway, connection_id)
    now = request.app.state.clock.now()
    try:
        event = await in_thread(processor.parse_webhook, dict(request.headers), body, now)
    except WebhookRejected as rejected:
        raise ProblemError(400, "webhook-rejected", "Webhook rejected", str(rejected)) from None
    except GatewayTimeout as timeout:
        raise ProblemError(
            503, "gateway-unavailable", "Could not verify", f"{timeout}; deliver it again."
        ) from None
    outcome = await in_thread(_apply, factory, tenant, gateway, event, now)
    return Received(event=event.event_id, outcome=outcome)


def _connection(
    factory: sessionmaker[Session], gateway: str, connection_id: str
) -> tuple[Tenant, PaymentGateway]:
    with unit_of_work(factory) as session:
        found = connections.by_id(session, gateway, connection_id)
        if found is None or gateway not in processors.CONNECTED:
            raise ProblemError(
                404, "not-found", "Not found", f"No {gateway} connection '{connection_id}'."
            )
        return Tenant(found.account_id, found.livemode), processors.of_connection(session, found)


def _apply(
    factory: sessionmaker[Session], tenant: Tenant, gateway: str, event: GatewayEvent, now: datetime
) -> str:
    with unit_of_work(factory) as session:
        return webhooks.receive(session, tenant, gateway, event, now)
