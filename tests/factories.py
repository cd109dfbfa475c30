"""Rows inserted straight through the models, for tests that need them but don't test them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from recura.db import bulk
from recura.db.models import (
    BillableMetric,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceSeries,
    MeteredCharge,
    PaymentMethod,
    Plan,
    PlanVersion,
    Product,
    Subscription,
    UsageEvent,
)
from recura.db.unit_of_work import unit_of_work
from recura.domains.accounts import service as accounts
from recura.domains.accounts.schemas import AccountCreate
from recura.domains.common.tenant import Tenant
from recura.domains.events import payloads
from recura.domains.payments import methods
from recura.domains.support_requests import service as support_requests
from recura.gateways.base import CustomerInfo
from recura.gateways.sandbox import SandboxGateway
from recura.ids import new_id, new_ids
from tests.conftest import T0


def create_account(session: Session, now: datetime, prefix: str = "T") -> str:
    """A Romanian account with its invoice series `prefix`; its id."""
    created = accounts.create_account(
        session,
        AccountCreate(
            legal_name=f"{prefix} SRL",
            country="RO",
            default_currency="RON",
            invoice_series_prefix=prefix,
        ),
        now,
    )
    return created.id


def insert_plan(factory: sessionmaker[Session], account_id: str, *, livemode: bool = False) -> str:
    """A monthly plan of a fresh product; returns the plan id."""
    keys = {"account_id": account_id, "livemode": livemode, "created_at": T0, "updated_at": T0}
    product_id, plan_id = new_id("product"), new_id("plan")
    with unit_of_work(factory) as session:
        session.add(
            Product(
                id=product_id,
                **keys,
                name="Norditech CRM",
                description=None,
                metadata_={},
                archived_at=None,
            )
        )
        session.flush()
        session.add(
            Plan(
                id=plan_id,
                **keys,
                product_id=product_id,
                code=plan_id.lower(),
                name="Pro monthly",
                description=None,
                interval_unit="month",
                interval_count=1,
                billing_timing="in_advance",
                trial_days=0,
                metadata_={},
                archived_at=None,
            )
        )
    return plan_id


def insert_subscription(
    factory: sessionmaker[Session],
    account_id: str,
    customer_id: str,
    plan_id: str,
    plan_version_id: str,
    *,
    period: tuple[datetime, datetime],
    status: str = "active",
    currency: str = "RON",
    livemode: bool = False,
) -> str:
    """A monthly subscription row in its current period, consistent with its status (a
    canceled one has ended, a trialing one is in its trial); returns its id."""
    subscription_id = new_id("subscription")
    start, end = period
    ended = end if status == "canceled" else None
    with unit_of_work(factory) as session:
        session.add(
            Subscription(
                id=subscription_id,
                account_id=account_id,
                livemode=livemode,
                created_at=start,
                updated_at=start,
                customer_id=customer_id,
                plan_id=plan_id,
                plan_version_id=plan_version_id,
                status=status,
                currency=currency,
                quantity=Decimal(1),
                interval_unit="month",
                interval_count=1,
                alignment="anniversary",
                timezone="UTC",
                billing_anchor=start,
                current_period_start=start,
                current_period_end=end,
                trial_end=end if status == "trialing" else None,
                cancel_at_period_end=False,
                canceled_at=ended,
                ended_at=ended,
                paused_at=None,
                resume_at=None,
                pending_change=None,
                pending_change_at=None,
                trial_notice_sent=False,
                coupon_id=None,
                promotion_code_id=None,
                discount_periods_left=None,
                mrr=0,
                collection_method="charge_automatically",
                next_action_at=None if ended else end,
                test_clock_id=None,
                metadata_={},
            )
        )
    return subscription_id


TIERS = [{"up_to": "100", "unit_amount": "10"}, {"up_to": None, "unit_amount": "5"}]


def seed_due_subscriptions(
    factory: sessionmaker[Session],
    count: int,
    period: tuple[datetime, datetime],
    *,
    metered: bool,
    cards: Sequence[str] = (),
) -> str:
    """An account (UTC, 21 % VAT) with `count` monthly subscriptions of 49.00 RON whose
    `period` has ended, each with last period's invoice (a system this size has billed
    before, and the planner needs the statistics) and, if `metered`, a metered charge with
    one usage event in the period. With `cards` (sandbox tokens, such as
    `tok_sandbox_visa`), customer n has a default sandbox payment method saved from
    `cards[n % len(cards)]`, so its renewals are charged. Written with COPY; returns the
    account id."""
    start, end = period
    sandbox = SandboxGateway(factory.kw["bind"], "") if cards else None
    with unit_of_work(factory) as session:
        account = accounts.create_account(
            session,
            AccountCreate(
                legal_name="Bench SRL",
                country="RO",
                default_currency="RON",
                timezone="UTC",
                invoice_series_prefix="BEN",
            ),
            start,
        )
        account.tax_rate = Decimal(21)
        account.vat_registered = True
        # Billing at scale is what these accounts measure; rendering PDFs (about 0.2 s of
        # CPU each) is measured on its own (bench/pdfs.py).
        account.invoice_pdfs = False
        base = {"account_id": account.id, "livemode": False, "created_at": start}
        product = Product(
            id=new_id("product"),
            **base,
            name="CRM",
            description=None,
            metadata_={},
            archived_at=None,
            updated_at=start,
        )
        session.add(product)
        session.flush()
        plan = Plan(
            id=new_id("plan"),
            **base,
            product_id=product.id,
            code="pro",
            name="Pro",
            description=None,
            interval_unit="month",
            interval_count=1,
            billing_timing="in_advance",
            trial_days=0,
            metadata_={},
            archived_at=None,
            updated_at=start,
        )
        session.add(plan)
        session.flush()
        version = PlanVersion(
            id=new_id("plan_version"),
            **base,
            plan_id=plan.id,
            version=1,
            pricing_model="flat",
            prices=[{"currency": "RON", "amount": 4900}],
            setup_fees=[],
            min_quantity=None,
            max_quantity=None,
        )
        session.add(version)
        session.flush()
        if metered:
            metric = BillableMetric(
                id=new_id("billable_metric"),
                **base,
                code="api_calls",
                name="API calls",
                description=None,
                aggregation="count",
                field_name=None,
                filters=[],
                archived_at=None,
                updated_at=start,
            )
            session.add(metric)
            session.flush()
            session.add(
                MeteredCharge(
                    id=new_id("charge"),
                    **base,
                    plan_version_id=version.id,
                    billable_metric_id=metric.id,
                    position=0,
                    pricing_model="tiered_graduated",
                    prices=[{"currency": "RON", "tiers": TIERS}],
                )
            )
        session.add(
            InvoiceSeries(
                account_id=account.id, livemode=False, prefix="BEN", next_number=count + 1
            )
        )
        kinds = ("customer", "payment_method", "subscription", "invoice", "invoice_line")
        ids = {kind: new_ids(kind, count) for kind in (*kinds, "usage_event")}
        models = (Customer, PaymentMethod, Subscription, Invoice, InvoiceLine, UsageEvent)
        rows: dict[Any, list[dict[str, Any]]] = {model: [] for model in models}
        for n in range(count):
            customer, sub, invoice = (ids[k][n] for k in ("customer", "subscription", "invoice"))
            method = ids["payment_method"][n] if sandbox is not None else None
            rows[Customer].append(
                {
                    **base,
                    "id": customer,
                    "external_id": None,
                    "email": None,
                    "name": f"C{n}",
                    "country": None,
                    "locale": None,
                    "currency": None,
                    "vat_id": None,
                    "address": None,
                    "tax_rate": None,
                    "test_clock_id": None,
                    "default_payment_method_id": method,
                    "metadata": {},
                    "archived_at": None,
                    "updated_at": start,
                }
            )
            if sandbox is not None:
                info = CustomerInfo(customer, None, f"C{n}", None)
                saved = sandbox.complete_setup(info, cards[n % len(cards)])
                rows[PaymentMethod].append(
                    {
                        **base,
                        "id": method,
                        "customer_id": customer,
                        "gateway": "sandbox",
                        "reference": saved.reference,
                        "processor_customer": None,
                        "kind": saved.kind,
                        "brand": saved.brand,
                        "last4": saved.last4,
                        "exp_month": saved.exp_month,
                        "exp_year": saved.exp_year,
                        "expires_on": methods.expires_on(saved.exp_year, saved.exp_month),
                        "email": None,
                        "status": "active",
                        "expiring_notified_at": None,
                        "detached_at": None,
                        "updated_at": start,
                    }
                )
            rows[Subscription].append(
                {
                    **base,
                    "id": sub,
                    "customer_id": customer,
                    "plan_id": plan.id,
                    "plan_version_id": version.id,
                    "status": "active",
                    "currency": "RON",
                    "quantity": Decimal(1),
                    "interval_unit": "month",
                    "interval_count": 1,
                    "alignment": "anniversary",
                    "timezone": "UTC",
                    "billing_anchor": start,
                    "current_period_start": start,
                    "current_period_end": end,
                    "trial_end": None,
                    "cancel_at_period_end": False,
                    "canceled_at": None,
                    "ended_at": None,
                    "paused_at": None,
                    "resume_at": None,
                    "pending_change": None,
                    "pending_change_at": None,
                    "trial_notice_sent": False,
                    "coupon_id": None,
                    "promotion_code_id": None,
                    "discount_periods_left": None,
                    "mrr": 4900,
                    "collection_method": "charge_automatically",
                    "next_action_at": end,
                    "test_clock_id": None,
                    "metadata": {},
                    "updated_at": start,
                }
            )
            rows[Invoice].append(
                {
                    **base,
                    "id": invoice,
                    "customer_id": customer,
                    "subscription_id": sub,
                    "status": "paid",
                    "reason": "subscription_create",
                    "currency": "RON",
                    "series": "BEN",
                    "number": f"BEN-{n + 1:06d}",
                    "period_start": start,
                    "period_end": end,
                    "tax_inclusive": False,
                    "subtotal": 4900,
                    "discount_total": 0,
                    "tax_total": 1029,
                    "total": 5929,
                    "credit_applied": 0,
                    "amount_due": 5929,
                    "amount_paid": 5929,
                    "amount_credited": 0,
                    "tax_lines": [],
                    "discounts": [],
                    "collection_method": "charge_automatically",
                    "due_at": None,
                    "finalized_at": start,
                    "paid_at": start,
                    "voided_at": None,
                    "updated_at": start,
                }
            )
            rows[InvoiceLine].append(
                {
                    **base,
                    "id": ids["invoice_line"][n],
                    "invoice_id": invoice,
                    "position": 0,
                    "kind": "subscription",
                    "description": "Pro",
                    "quantity": Decimal(1),
                    "unit_amount": None,
                    "amount": 4900,
                    "discount_amount": 0,
                    "tax_rate": Decimal(21),
                    "period_start": start,
                    "period_end": end,
                    "proration": False,
                }
            )
            if metered:
                rows[UsageEvent].append(
                    {
                        **base,
                        "id": ids["usage_event"][n],
                        "customer_id": customer,
                        "code": "api_calls",
                        "transaction_id": f"seed-{n}",
                        "timestamp": start + timedelta(days=1),
                        "properties": {},
                    }
                )
        for model, batch in rows.items():
            bulk.insert_rows(session, model, batch)
        account_id = account.id
    engine = factory.kw["bind"]
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    return account_id


_SAMPLE_T = "2026-01-15T09:30:00Z"
# A valid `data` of each payload shape, for tests that record events by hand.
_SAMPLES: dict[type[payloads.EventPayload], dict[str, Any]] = {
    payloads.CustomerData: {"default_payment_method": "pm_1"},
    payloads.SubscriptionData: {
        "customer": "cus_1",
        "plan": "plan_1",
        "mrr": 4900,
        "status": "active",
        "previous_status": None,
        "current_period_start": _SAMPLE_T,
        "current_period_end": "2026-02-15T09:30:00Z",
        "trial_end": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "ended_at": None,
        "paused_at": None,
        "resume_at": None,
        "pending_change": None,
        "pending_change_at": None,
    },
    payloads.InvoiceData: {
        "number": "F-1",
        "status": "paid",
        "reason": "subscription_cycle",
        "customer": "cus_1",
        "subscription": None,
        "currency": "RON",
        "total": 4900,
        "amount_due": 4900,
        "amount_paid": 4900,
    },
    payloads.UpcomingInvoiceData: {
        "subscription": "sub_1",
        "customer": "cus_1",
        "plan": "plan_1",
        "renews_at": _SAMPLE_T,
        "amount": 4900,
        "currency": "RON",
    },
}


def sample_payload(type_: str, object_id: str, **fields: Any) -> payloads.EventPayload:
    """An event of `type_` about `object_id`, with sample data (`fields` replace it)."""
    model = payloads.payload_class(type_)
    shape = next(s for s in model.__mro__ if s in _SAMPLES)
    return model.model_validate({**_SAMPLES[shape], "id": object_id, **fields})


def open_support_request(
    factory: sessionmaker[Session],
    account_id: str,
    customer_id: str,
    *,
    livemode: bool = False,
    now: datetime = T0,
    **fields: Any,
) -> str:
    """A support request the customer opened from the portal, committed; its id."""
    request = {
        "category": "billing",
        "subject": "Plată dublă în februarie",
        "message": "Am fost taxată de două ori luna aceasta. Puteți verifica?",
        **fields,
    }
    with unit_of_work(factory) as session:
        opened = support_requests.open_request(
            session, Tenant(account_id, livemode), customer_id, now=now, **request
        )
        return opened.request.id
