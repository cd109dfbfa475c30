"""Which processor object serves an account: built from its stored connection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from recura.config import processor_api_bases
from recura.db.models import GatewayConnection
from recura.domains.common.errors import ConflictError, invalid
from recura.domains.common.tenant import Tenant
from recura.domains.payments import repository
from recura.gateways.base import PaymentGateway
from recura.gateways.paypal import PayPalGateway
from recura.gateways.paypal_sdk import LIVE_API_BASE, SANDBOX_API_BASE
from recura.gateways.sandbox import SandboxGateway
from recura.gateways.stripe import StripeGateway


def _stripe(c: dict[str, Any], livemode: bool) -> PaymentGateway:
    return StripeGateway(c["api_key"], c["webhook_secret"], processor_api_bases().stripe_api_base)


def _paypal(c: dict[str, Any], livemode: bool) -> PaymentGateway:
    # PayPal keeps test mode on a server of its own; Stripe tells modes apart by the key.
    default = LIVE_API_BASE if livemode else SANDBOX_API_BASE
    base = processor_api_bases().paypal_api_base or default
    return PayPalGateway(c["client_id"], c["client_secret"], c["webhook_id"], base)


# Processors with credentials: name -> the gateway built from its stored config and mode.
# Where their requests go is the server's setting alone (tests' fakes), never a connection's.
Factory = Callable[[dict[str, Any], bool], PaymentGateway]
CONNECTED: dict[str, Factory] = {"stripe": _stripe, "paypal": _paypal}
NAMES = ("sandbox", "stripe", "paypal")


def connection(session: Session, tenant: Tenant, name: str) -> GatewayConnection | None:
    return repository.connection(session, tenant, name)


def gateway_for(session: Session, tenant: Tenant, name: str) -> PaymentGateway:
    if name not in NAMES:
        raise invalid("/gateway", f"must be one of {', '.join(NAMES)}")
    if name == "sandbox" and tenant.livemode:
        raise ConflictError(
            "The sandbox takes test-mode payments only; use a live key's processor."
        )
    found = connection(session, tenant, name)
    if found is None and name == "sandbox":
        return SandboxGateway(session.get_bind().engine, tenant.account_id)
    if found is None:
        mode = "live" if tenant.livemode else "test"
        raise ConflictError(f"No {name} connection is set up for this account in {mode} mode.")
    return of_connection(session, found)


def of_connection(session: Session, found: GatewayConnection) -> PaymentGateway:
    if found.gateway == "sandbox":
        rate = float(found.config.get("timeout_rate", 0))
        return SandboxGateway(session.get_bind().engine, found.account_id, timeout_rate=rate)
    return CONNECTED[found.gateway](found.config, found.livemode)


def default_gateway(session: Session, tenant: Tenant) -> str:
    """The processor new payment methods go to when none is named: the one connected (Stripe
    before PayPal), else the sandbox in test mode."""
    connected = repository.connected_gateways(session, tenant)
    for name in ("stripe", "paypal"):
        if name in connected:
            return name
    if tenant.livemode:
        raise ConflictError("No payment processor is connected for live mode.")
    return "sandbox"
