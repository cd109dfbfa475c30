"""Create, change, list and archive customers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from recura.core.acquisition import channel_of
from recura.db.models import Customer, TestClock, VatCheck
from recura.domains.common import lookup
from recura.domains.common.errors import ConflictError, invalid
from recura.domains.common.fields import trim_zeros
from recura.domains.common.metadata import merge_metadata
from recura.domains.common.pages import Page
from recura.domains.common.parties import AddressOut
from recura.domains.common.tenant import Tenant
from recura.domains.common.vat import normalize_vat_id
from recura.domains.customers import billing, repository, vat_checks
from recura.domains.customers.schemas import (
    CustomerCreate,
    CustomerOut,
    CustomerUpdate,
    VatCheckOut,
)
from recura.domains.metrics import rollups
from recura.ids import new_id


def get(session: Session, tenant: Tenant, customer_id: str) -> Customer:
    return lookup.require(session, tenant, Customer, customer_id, "customer")


def create(session: Session, tenant: Tenant, data: CustomerCreate, now: datetime) -> Customer:
    fields = data.model_dump(exclude={"test_clock", "acquisition"})
    utm = data.acquisition.stored() if data.acquisition else {}
    fields["acquisition"] = utm or None
    if data.acquisition_channel is None and utm:
        fields["acquisition_channel"] = channel_of(utm)
    _check_external_id(session, tenant, data.external_id, None)
    if data.test_clock is not None:
        if tenant.livemode:
            raise invalid("/test_clock", "test clocks exist in test mode only")
        clock = lookup.referenced(
            session, tenant, TestClock, data.test_clock, "test clock", "/test_clock"
        )
        # A customer on a test clock lives in its time from the start, so everything that
        # happens to it later (at the clock's time) comes after it was created.
        now = clock.frozen_time
    fields["vat_id"] = _vat(data.vat_id, data.country)
    fields["national_id"] = _national_id(data.national_id)
    fields["registration_number"] = _billed_as(
        data.kind, data.legal_name, data.registration_number, data.country, fields["address"]
    )
    customer = Customer(
        id=new_id("customer"),
        **tenant.row_keys(),
        **{k: v for k, v in fields.items() if k != "metadata"},
        metadata_=data.metadata,
        test_clock_id=data.test_clock,
        archived_at=None,
        created_at=now,
        updated_at=now,
    )
    vat_checks.schedule(customer, now)
    session.add(customer)
    session.flush()
    return customer


def update(
    session: Session, tenant: Tenant, customer_id: str, data: CustomerUpdate, now: datetime
) -> Customer:
    customer = get(session, tenant, customer_id)
    now = now_for(session, tenant, customer, now)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    if "external_id" in changes:
        _check_external_id(session, tenant, changes["external_id"], customer.id)
    number_changed = False
    if "vat_id" in changes or "country" in changes:
        country = changes.get("country", customer.country)
        vat_id = changes.get("vat_id", customer.vat_id)
        changes["vat_id"] = _vat(vat_id, country)
        # VIES confirmed the number that was; another one is not confirmed until checked.
        number_changed = (changes["vat_id"], country) != (customer.vat_id, customer.country)
    if "national_id" in changes:
        changes["national_id"] = _national_id(changes["national_id"])
    billing = {"kind", "legal_name", "registration_number", "address", "country"}
    if billing & changes.keys():
        merged = {name: changes.get(name, getattr(customer, name)) for name in billing}
        changes["kind"] = merged["kind"] or customer.kind
        changes["registration_number"] = _billed_as(
            changes["kind"],
            merged["legal_name"],
            merged["registration_number"],
            merged["country"],
            merged["address"],
        )
    if "acquisition" in changes:
        # Replaced as a whole: the utm fields describe one link, not a merge of several.
        sent = data.acquisition.stored() if data.acquisition else {}
        changes["acquisition"] = sent or None
    if "metadata" in changes:
        customer.metadata_ = merge_metadata(customer.metadata_, changes.pop("metadata"))
    moved = any(
        name in changes and changes[name] != getattr(customer, name)
        for name in ("country", "acquisition_channel")
    )
    for field, value in changes.items():
        setattr(customer, field, value)
    if number_changed:
        vat_checks.schedule(customer, now)
    customer.updated_at = now
    session.flush()
    if moved:
        # The metrics count each customer under its country and acquisition channel.
        rollups.move_customer(
            session, tenant, customer.id, customer.country, customer.acquisition_channel
        )
    return customer


def archive(session: Session, tenant: Tenant, customer_id: str, now: datetime) -> Customer:
    customer = get(session, tenant, customer_id)
    return lookup.archive(customer, "customer", now_for(session, tenant, customer, now))


def page(session: Session, tenant: Tenant, **filters: Any) -> Page[Customer]:
    return repository.page(session, tenant, **filters)


def to_out(customer: Customer, last_check: VatCheck | None = None) -> CustomerOut:
    """The customer as the API shows it; `last_check`, its latest VIES check (`latest_checks`),
    gives the consultation number and what VIES returned."""
    return CustomerOut(
        id=customer.id,
        external_id=customer.external_id,
        email=customer.email,
        name=customer.name,
        country=customer.country,
        locale=customer.locale,
        currency=customer.currency,
        vat_id=customer.vat_id,
        kind=customer.kind,
        legal_name=customer.legal_name,
        registration_number=customer.registration_number,
        national_id=customer.national_id,
        address=AddressOut(**customer.address) if customer.address else None,
        vat_check=_vat_check_out(customer, last_check),
        tax_rate=None if customer.tax_rate is None else trim_zeros(customer.tax_rate),
        test_clock=customer.test_clock_id,
        acquisition_channel=customer.acquisition_channel,
        acquisition=customer.acquisition or {},
        metadata=customer.metadata_,
        livemode=customer.livemode,
        archived=customer.archived_at is not None,
        created_at=customer.created_at,
        updated_at=customer.updated_at,
    )


def latest_checks(
    session: Session, tenant: Tenant, customers: list[Customer]
) -> dict[str, VatCheck]:
    """The latest VIES check of each of `customers` that has one (one query)."""
    ids = [c.id for c in customers if c.vat_check is not None]
    return vat_checks.latest(session, tenant, ids)


def _vat_check_out(customer: Customer, last: VatCheck | None) -> VatCheckOut | None:
    if customer.vat_check is None:
        return None
    if last is not None and last.vat_id != customer.vat_id:
        last = None  # a check of the number the customer had before
    return VatCheckOut(
        status=customer.vat_check,
        validated_at=customer.vat_id_validated_at,
        consultation_number=last.consultation_number if last else None,
        checked_at=last.checked_at if last else None,
        next_check_at=customer.vat_check_due_at,
        name=last.name if last else None,
        address=last.address if last else None,
    )


def _check_external_id(
    session: Session, tenant: Tenant, external_id: str | None, own_id: str | None
) -> None:
    if external_id is None:
        return
    other = repository.by_external_id(session, tenant, external_id)
    if other is not None and other.id != own_id:
        raise ConflictError(f"external_id '{external_id}' already belongs to customer {other.id}.")


def _vat(vat_id: str | None, country: str | None) -> str | None:
    if vat_id is None:
        return None
    try:
        return normalize_vat_id(vat_id, country)
    except ValueError as exc:
        raise invalid("/vat_id", str(exc)) from None


def _national_id(value: str | None) -> str | None:
    if value is None:
        return None
    number, problems = billing.national_id(value)
    billing.raise_if(problems)
    return number


def _billed_as(
    kind: str,
    legal_name: str | None,
    number: str | None,
    country: str | None,
    address: dict[str, Any] | None,
) -> str | None:
    """Check who the customer is billed as; returns the trade-register number as stored.
    A company has a legal name; a county is the address country's ISO 3166-2 code, with a
    sector in Bucharest; a Romanian register number is an ONRC number."""
    problems = []
    if kind == "company" and not legal_name:
        problems.append(billing.Problem("/legal_name", "legal_name.required"))
    if address:
        problems += billing.check_place(address, county_required=False)
    if number is not None:
        where = (address or {}).get("country") or country
        number, found = billing.registration_number(number, where)
        problems += found
    billing.raise_if(problems)
    return number


def now_for(session: Session, tenant: Tenant, customer: Customer, now: datetime) -> datetime:
    """The customer's present: its test clock's time when it has one, else `now`."""
    if customer.test_clock_id is None:
        return now
    clock = repository.test_clock_by_key(session, tenant.account_id, customer.test_clock_id)
    return clock.frozen_time
