"""Checks that what Recura recorded is what its OpenAPI document's `webhooks` promise:
every event's data parses into its type's model as stored, and the body webhooks deliver
for it validates against that type's schema in the published document."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import jsonschema_rs
import orjson
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.db.models import Event
from recura.db.unit_of_work import unit_of_work
from recura.domains.events import payloads
from recura.notifications import webhooks_out

REF_PREFIX = "#/components/schemas/"


def webhook_schema(spec: dict[str, Any], kind: str) -> dict[str, Any]:
    """The schema of `kind`'s webhook body, with the document's components to resolve it."""
    body = spec["webhooks"][kind]["post"]["requestBody"]["content"]["application/json"]
    return {**body["schema"], "components": spec["components"]}


def validators(app: FastAPI) -> dict[str, jsonschema_rs.Draft202012Validator]:
    spec = app.openapi()
    return {
        kind: jsonschema_rs.Draft202012Validator(webhook_schema(spec, kind))
        for kind in spec.get("webhooks", {})
    }


def check_recorded(factory: sessionmaker[Session], account_id: str, app: FastAPI) -> set[str]:
    """Check every event of the account against its model and the published schema;
    returns the types seen."""
    checks = validators(app)
    wrong: list[str] = []
    seen: set[str] = set()
    with unit_of_work(factory) as session:
        stmt = select(Event).where(Event.account_id == account_id).order_by(Event.id)
        for event in session.scalars(stmt):
            seen.add(event.type)
            if event.type not in checks:
                wrong.append(f"{event.type}: not in the OpenAPI webhooks")
                continue
            # Strict: the webhook body falls back to the stored data only for old events.
            model = payloads.parse(event.type, event.object_id, event.data, payloads.EventPayload)
            if model.json_data() != event.data:
                wrong.append(f"{event.type}: stored {event.data}, model {model.json_data()}")
            body = orjson.loads(webhooks_out.payload(event))
            for error in checks[event.type].iter_errors(body):
                wrong.append(f"{event.type} {event.id}: {str(error).splitlines()[0]}")
                break
        # The same events as one batch, for an endpoint that takes them so.
        stmt = select(Event).where(Event.account_id == account_id).order_by(Event.id).limit(100)
        batched = [(e.id, webhooks_out.body(e)) for e in session.scalars(stmt)]
    if batched:
        batch = orjson.loads(orjson.dumps(webhooks_out.batch_body(batched, datetime.now(UTC))))
        for error in checks["batch"].iter_errors(batch):
            wrong.append(f"a batch: {str(error).splitlines()[0]}")
            break
    assert not wrong, "events that break their contract:\n" + "\n".join(wrong)
    return seen
