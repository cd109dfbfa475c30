"""An account's processor connections: the credentials each gateway is built from.

One per processor and mode; saving again replaces the settings and keeps the id, so the
webhook address given to the processor stays the same. The settings are stored as given
(the database is the secret's keeper, as for every other credential of the account).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from recura.db.models import GatewayConnection
from recura.domains.audit import changes as audit
from recura.domains.common.errors import NotFoundError, invalid
from recura.domains.common.tenant import Tenant
from recura.domains.payments import processors, repository
from recura.domains.payments.schemas import (
    ConnectionIn,
    PayPalConnectionIn,
    SandboxConnectionIn,
    StripeConnectionIn,
)
from recura.ids import new_id


def save(session: Session, tenant: Tenant, body: ConnectionIn, now: datetime) -> GatewayConnection:
    config = _config(tenant, body)
    found = processors.connection(session, tenant, body.gateway)
    # Credentials show only that they changed (changes.py masks keys and secrets).
    audit.note(session, {} if found is None else found.config, config, prefix="config.")
    if found is None:
        found = GatewayConnection(
            id=new_id("gateway_connection"),
            **tenant.row_keys(),
            gateway=body.gateway,
            config=config,
            created_at=now,
            updated_at=now,
        )
        session.add(found)
    else:
        found.config = config
        found.updated_at = now
    session.flush()
    return found


def _config(tenant: Tenant, body: ConnectionIn) -> dict[str, object]:
    if isinstance(body, SandboxConnectionIn):
        if tenant.livemode:
            raise invalid("/gateway", "the sandbox takes test-mode payments only")
        return {"timeout_rate": body.timeout_rate}
    if isinstance(body, StripeConnectionIn):
        mode = "live" if tenant.livemode else "test"
        for field, key in (("api_key", body.api_key), ("publishable_key", body.publishable_key)):
            if key is not None and ("_live_" in key) != tenant.livemode:
                raise invalid(f"/{field}", f"must be a Stripe {mode}-mode key, like this API key")
        return body.model_dump(exclude={"gateway"})
    assert isinstance(body, PayPalConnectionIn)
    return body.model_dump(exclude={"gateway"})


def listed(session: Session, tenant: Tenant) -> list[GatewayConnection]:
    return repository.connections(session, tenant)


def get(session: Session, tenant: Tenant, gateway: str) -> GatewayConnection:
    found = processors.connection(session, tenant, gateway)
    if found is None:
        raise NotFoundError("gateway connection", gateway)
    return found


def delete(session: Session, tenant: Tenant, gateway: str) -> GatewayConnection:
    """Payment methods saved with it stay on record; charging them waits for a new one."""
    found = get(session, tenant, gateway)
    audit.note(session, found.config, {}, prefix="config.")
    session.delete(found)
    session.flush()
    return found


def by_id(session: Session, gateway: str, connection_id: str) -> GatewayConnection | None:
    """For the processors' webhooks, which carry no API key: the address names the connection."""
    return repository.connection_by_id(session, gateway, connection_id)
