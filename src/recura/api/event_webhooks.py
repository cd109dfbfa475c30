"""The OpenAPI document's `webhooks` section: one entry per event type, the body Recura
POSTs to a webhook endpoint for it (see notifications.webhooks_out)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Body, FastAPI
from pydantic import BaseModel

from recura.domains.events.payloads import BATCH_ENVELOPE, ENVELOPES

DESCRIPTION = (
    "Sent, signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, "
    "`webhook-signature` headers), to every enabled endpoint whose `enabled_events` take "
    "`{kind}`. Answer 2xx once it is stored; anything else is retried for about three days. "
    "The `webhook-id` is the event's id: the same on every retry and replay."
)


def install(app: FastAPI) -> None:
    for kind, envelope in ENVELOPES.items():
        app.webhooks.add_api_route(
            kind.value,
            _receiver(envelope),
            methods=["POST"],
            summary=kind.value,
            description=DESCRIPTION.format(kind=kind.value),
            operation_id=f"webhook_{kind.name.lower()}",
            tags=[f"{kind.value.split('.')[0]} events"],
            status_code=204,
            response_description="Received",
        )
    app.webhooks.add_api_route(
        "batch",
        _receiver(BATCH_ENVELOPE),
        methods=["POST"],
        summary="batch",
        description=BATCH_DESCRIPTION,
        operation_id="webhook_batch",
        tags=["batches of events"],
        status_code=204,
        response_description="Received",
    )


BATCH_DESCRIPTION = (
    "Sent instead, signed the same way, to an endpoint whose `batch_size` is over 1: up to "
    "that many due events together, each as it is sent alone plus its `id`. The "
    "`webhook-id` is the batch's (the same for the same events); deduplicate on each "
    "event's `id`. Answer 2xx once all are stored; anything else retries each of them."
)


def _receiver(envelope: type[BaseModel]) -> Callable[..., None]:
    # FastAPI reads the body's model from the signature; each event type has its own.
    def receive(body: Annotated[BaseModel, Body()]) -> None:
        """Never called: it documents what the receiver gets."""

    receive.__annotations__ = {"body": Annotated[envelope, Body()], "return": None}
    return receive
