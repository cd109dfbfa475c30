"""Payment methods: saved through the processor's own flow, listed, made default, detached;
and the notice a month before a card expires."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeVar

from sqlalchemy.orm import Session

from recura.db.models import Customer, GatewayCustomer, PaymentMethod
from recura.domains.common import lookup
from recura.domains.common.errors import ConflictError, invalid
from recura.domains.common.pages import MAX_LIMIT, Page
from recura.domains.common.tenant import Tenant
from recura.domains.customers import repository as customers_repository
from recura.domains.customers import service as customers
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.domains.invoices import repository as invoices_repository
from recura.domains.payments import locks, processors, repository
from recura.domains.subscriptions import repository as subscriptions_repository
from recura.gateways.base import CustomerInfo, GatewayError, SavedMethod, SetupSession
from recura.ids import new_id

MethodT = TypeVar("MethodT", bound=payloads.PaymentMethodData)

EXPIRY_NOTICE = timedelta(days=30)
EXPIRING_BATCH = 500


def customer_info(
    session: Session, tenant: Tenant, customer: Customer, gateway: str
) -> CustomerInfo:
    known = repository.find_gateway_customer(session, tenant.account_id, customer.id, gateway)
    return CustomerInfo(
        customer_id=customer.id,
        email=customer.email,
        name=customer.name,
        processor_customer=known.reference if known else None,
    )


def _remember_processor_customer(
    session: Session, tenant: Tenant, customer: Customer, gateway: str, reference: str | None
) -> None:
    if reference is None:
        return
    known = repository.find_gateway_customer(session, tenant.account_id, customer.id, gateway)
    if known is not None:
        return
    session.add(
        GatewayCustomer(
            account_id=tenant.account_id,
            customer_id=customer.id,
            gateway=gateway,
            livemode=tenant.livemode,
            reference=reference,
        )
    )


def start_setup(
    session: Session, tenant: Tenant, customer_id: str, name: str | None, return_url: str | None
) -> tuple[str, SetupSession]:
    """Begin the processor's flow (the account's default processor unless `name` says)."""
    customer = customers.get(session, tenant, customer_id)
    gateway = processors.gateway_for(
        session, tenant, name or processors.default_gateway(session, tenant)
    )
    info = customer_info(session, tenant, customer, gateway.name)
    setup = gateway.start_setup(
        info, return_url, _setup_key(session, tenant, customer, gateway.name)
    )
    _remember_processor_customer(session, tenant, customer, gateway.name, setup.processor_customer)
    return gateway.name, setup


def _setup_key(session: Session, tenant: Tenant, customer: Customer, gateway: str) -> str:
    """One per method the customer saves with the processor: a start retried before then is
    the same setup; once a method is saved, the next start is a new one."""
    saved = repository.method_count(session, tenant, customer.id, gateway)
    return f"{customer.id}-setup-{(saved or 0) + 1}"


def attach(
    session: Session,
    tenant: Tenant,
    customer_id: str,
    name: str | None,
    token: str,
    make_default: bool | None,
    now: datetime,
) -> PaymentMethod:
    """Finish the processor's flow with its token; the first method becomes the default."""
    customer = customers.get(session, tenant, customer_id)
    now = customers.now_for(session, tenant, customer, now)
    gateway = processors.gateway_for(
        session, tenant, name or processors.default_gateway(session, tenant)
    )
    info = customer_info(session, tenant, customer, gateway.name)
    try:
        saved = gateway.complete_setup(info, token)
    except GatewayError as error:
        raise invalid("/token", str(error)) from None
    if saved.processor_customer is None:
        saved = replace(saved, processor_customer=info.processor_customer)
    return record(session, tenant, customer, gateway.name, saved, make_default, now)[0]


def record(
    session: Session,
    tenant: Tenant,
    customer: Customer,
    gateway: str,
    saved: SavedMethod,
    make_default: bool | None,
    now: datetime,
) -> tuple[PaymentMethod, bool]:
    """A method the processor saved, on record once however often it is told: by the
    subscriber's page, a retried request, or the processor's webhook (the page may close
    before it reports back). Says whether it is new."""
    # The page and the webhook may tell it at the same moment: one at a time.
    locks.hold_customer(session, tenant, customer.id)
    _remember_processor_customer(session, tenant, customer, gateway, saved.processor_customer)
    known = _saved_already(session, tenant, customer, gateway, saved.reference)
    if known is not None:
        if make_default:
            _make_default(session, tenant, customer, known, now)
        return known, False
    method = PaymentMethod(
        id=new_id("payment_method"),
        **tenant.row_keys(),
        customer_id=customer.id,
        gateway=gateway,
        reference=saved.reference,
        processor_customer=saved.processor_customer,
        kind=saved.kind,
        brand=saved.brand,
        last4=saved.last4,
        exp_month=saved.exp_month,
        exp_year=saved.exp_year,
        expires_on=expires_on(saved.exp_year, saved.exp_month),
        email=saved.email,
        status="active",
        expiring_notified_at=None,
        detached_at=None,
        created_at=now,
        updated_at=now,
    )
    session.add(method)
    session.flush()
    events.record(session, tenant, summary(method, payloads.PaymentMethodAttached), now)
    if make_default or (make_default is None and customer.default_payment_method_id is None):
        _make_default(session, tenant, customer, method, now)
    return method, True


def _saved_already(
    session: Session, tenant: Tenant, customer: Customer, gateway: str, reference: str
) -> PaymentMethod | None:
    return repository.active_method(session, tenant, customer.id, gateway, reference)


def expires_on(year: int | None, month: int | None) -> datetime | None:
    """A card works to the end of its expiry month: the first instant it no longer does."""
    if year is None or month is None:
        return None
    return datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)


def get(session: Session, tenant: Tenant, method_id: str) -> PaymentMethod:
    return lookup.require(session, tenant, PaymentMethod, method_id, "payment method")


def page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    customer: str | None,
    *,
    active_only: bool = False,
) -> Page[PaymentMethod]:
    return repository.methods_page(
        session, tenant, limit, starting_after, customer, active_only=active_only
    )


def defaults_of(session: Session, tenant: Tenant, customer_ids: set[str]) -> dict[str, str | None]:
    if not customer_ids:
        return {}
    return customers_repository.default_methods(session, tenant, customer_ids)


def default_of(session: Session, tenant: Tenant, customer: Customer) -> PaymentMethod | None:
    if customer.default_payment_method_id is None:
        return None
    method = repository.find_method_by_key(
        session, tenant.account_id, customer.default_payment_method_id
    )
    return method if method is not None and method.status == "active" else None


def set_default(session: Session, tenant: Tenant, method_id: str, now: datetime) -> PaymentMethod:
    method = get(session, tenant, method_id)
    if method.status != "active":
        raise ConflictError(f"Payment method '{method.id}' is detached.")
    customer = customers.get(session, tenant, method.customer_id)
    _make_default(
        session, tenant, customer, method, customers.now_for(session, tenant, customer, now)
    )
    return method


def _make_default(
    session: Session, tenant: Tenant, customer: Customer, method: PaymentMethod, now: datetime
) -> None:
    """A new default is tried at once on every invoice that is waiting in dunning, the way
    a customer who just fixed their card expects."""
    if customer.default_payment_method_id == method.id:
        return
    customer.default_payment_method_id = method.id
    customer.updated_at = now
    data = payloads.CustomerUpdated(id=customer.id, default_payment_method=method.id)
    events.record(session, tenant, data, now)
    invoices_repository.retry_dunning_now(session, tenant, customer.id, now)


def of_customer(session: Session, tenant: Tenant, customer_id: str) -> list[PaymentMethod]:
    """The customer's saved methods in use, newest first."""
    return page(session, tenant, MAX_LIMIT, None, customer_id, active_only=True).items


def why_kept(
    session: Session, tenant: Tenant, customer: Customer, method: PaymentMethod
) -> Literal["only_method", "default_method"] | None:
    """Why the subscriber may not remove `method` themselves, if they may not: while a
    subscription is charged automatically, the default method is what it is charged to,
    so it stays until another is the default (or, the only one, until another is added)."""
    if method.status != "active" or customer.default_payment_method_id != method.id:
        return None
    if not subscriptions_repository.charges_automatically(session, tenant, customer.id):
        return None
    others = [m for m in of_customer(session, tenant, customer.id) if m.id != method.id]
    return "default_method" if others else "only_method"


def detach(session: Session, tenant: Tenant, method_id: str, now: datetime) -> PaymentMethod:
    method = get(session, tenant, method_id)
    if method.status != "active":
        raise ConflictError(f"Payment method '{method.id}' is detached already.")
    processors.gateway_for(session, tenant, method.gateway).detach(to_saved(method))
    customer = customers.get(session, tenant, method.customer_id)
    detached(session, tenant, method, customers.now_for(session, tenant, customer, now))
    return method


def detached(session: Session, tenant: Tenant, method: PaymentMethod, now: datetime) -> None:
    """Record that the processor no longer keeps the method (asked here, or told by it)."""
    method.status = "detached"
    method.detached_at = method.updated_at = now
    customer = customers.get(session, tenant, method.customer_id)
    if customer.default_payment_method_id == method.id:
        customer.default_payment_method_id = None
        customer.updated_at = now
    events.record(session, tenant, summary(method, payloads.PaymentMethodDetached), now)


def updated(
    session: Session, tenant: Tenant, method: PaymentMethod, saved: SavedMethod, now: datetime
) -> bool:
    """The processor changed the card (a new expiry from the card updater); True if it did."""
    new = (saved.brand, saved.last4, saved.exp_month, saved.exp_year)
    if new == (method.brand, method.last4, method.exp_month, method.exp_year) or None in new[2:]:
        return False
    method.brand, method.last4, method.exp_month, method.exp_year = new
    method.expires_on = expires_on(saved.exp_year, saved.exp_month)
    method.expiring_notified_at = None  # a new expiry earns its own notice
    method.updated_at = now
    events.record(session, tenant, summary(method, payloads.PaymentMethodUpdated), now)
    return True


def to_saved(method: PaymentMethod) -> SavedMethod:
    return SavedMethod(
        reference=method.reference,
        kind=method.kind,  # type: ignore[arg-type]
        processor_customer=method.processor_customer,
        brand=method.brand,
        last4=method.last4,
        exp_month=method.exp_month,
        exp_year=method.exp_year,
        email=method.email,
    )


def notify_expiring(session: Session, now: datetime, limit: int = EXPIRING_BATCH) -> int:
    """`payment_method.expiring` once per card, a month before it stops working."""
    found = repository.lock_expiring_unnotified(session, now, EXPIRY_NOTICE, limit)
    for method in found:
        tenant = Tenant(method.account_id, method.livemode)
        method.expiring_notified_at = now
        events.record(session, tenant, summary(method, payloads.PaymentMethodExpiring), now)
    return len(found)


def summary(method: PaymentMethod, kind: type[MethodT]) -> MethodT:
    return kind(
        id=method.id,
        customer=method.customer_id,
        gateway=method.gateway,
        kind=method.kind,
        brand=method.brand,
        last4=method.last4,
        exp_month=method.exp_month,
        exp_year=method.exp_year,
        email=method.email,
        status=method.status,
    )
