"""Partner perks: a partner brand's benefit that plans and add-ons grant. A `voucher` perk
hands each subscriber one code from its pool (`pool`); a `link` perk sends subscribers to
the partner with a token signed by the perk's secret (`core.perk_tokens`), which is shown
once, when the perk is made or its secret rotated, like an API key."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from recura.core.perk_tokens import SECRET_PREFIX
from recura.db.models import AddOn, PartnerPerk, Plan
from recura.domains.common import lookup
from recura.domains.common.errors import ConflictError, FieldError, InvalidError, invalid
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.domains.partner_perks import pool, repository
from recura.domains.partner_perks.schemas import (
    DEFAULT_LOW_STOCK,
    PartnerPerkCreate,
    PartnerPerkOut,
    PartnerPerkUpdate,
    PartnerPerkWithSecret,
    PerkKind,
    VoucherCounts,
)
from recura.ids import new_id

SECRET_BYTES = 32
TOKEN = "{token}"  # noqa: S105 (the placeholder, not a secret)


def new_secret() -> str:
    """`pks_` and 32 random bytes, base64url without padding."""
    raw = base64.urlsafe_b64encode(secrets.token_bytes(SECRET_BYTES)).rstrip(b"=").decode()
    return SECRET_PREFIX + raw


def get(session: Session, tenant: Tenant, perk_id: str) -> PartnerPerk:
    return lookup.require(session, tenant, PartnerPerk, perk_id, "partner perk")


def check_url_template(value: str, livemode: bool) -> str:
    """An absolute http(s) address (https for live data) with `{token}` once."""
    pointer = "/url_template"
    if value.count(TOKEN) != 1:
        raise invalid(pointer, "must contain {token} exactly once, where the token goes")
    rest = value.replace(TOKEN, "")
    if "{" in rest or "}" in rest:
        raise invalid(pointer, "{token} is the only placeholder")
    try:
        parts = urlsplit(value.replace(TOKEN, "t"))
    except ValueError:
        raise invalid(pointer, "is not a URL") from None
    schemes = ("https",) if livemode else ("https", "http")
    if parts.scheme not in schemes or not parts.hostname:
        raise invalid(pointer, f"must be an absolute {' or '.join(schemes)} URL")
    if any(c.isspace() for c in value):
        raise invalid(pointer, "must not contain spaces")
    return value


def _owners(
    session: Session, tenant: Tenant, plans: Sequence[str], add_ons: Sequence[str]
) -> tuple[list[str], list[str]]:
    errors: list[FieldError] = []
    for pointer, model, kind, ids in (
        ("/plans", Plan, "plan", plans),
        ("/add_ons", AddOn, "add-on", add_ons),
    ):
        seen: set[str] = set()
        for index, owner_id in enumerate(ids):
            here = f"{pointer}/{index}"
            if owner_id in seen:
                errors.append(FieldError(here, f"'{owner_id}' is listed twice"))
                continue
            seen.add(owner_id)
            try:
                lookup.referenced(session, tenant, model, owner_id, kind, here)
            except InvalidError as exc:
                errors += exc.errors
    if errors:
        raise InvalidError(errors)
    return list(plans), list(add_ons)


def create(session: Session, tenant: Tenant, data: PartnerPerkCreate, now: datetime) -> PartnerPerk:
    threshold = data.low_stock_threshold
    url = None
    if data.kind is PerkKind.LINK:
        if data.url_template is None:
            raise invalid("/url_template", "a link perk needs the partner's address")
        if threshold is not None:
            raise invalid("/low_stock_threshold", "only a voucher perk has a pool of codes")
        url = check_url_template(data.url_template, tenant.livemode)
    else:
        if data.url_template is not None:
            raise invalid("/url_template", "a voucher perk has no link")
        if "low_stock_threshold" not in data.model_fields_set:
            threshold = DEFAULT_LOW_STOCK
    plans, add_ons = _owners(session, tenant, data.plans, data.add_ons)
    perk = PartnerPerk(
        id=new_id("partner_perk"),
        **tenant.row_keys(),
        name=data.name,
        partner_name=data.partner_name,
        description=dict(data.description),
        kind=data.kind.value,
        url_template=url,
        secret=new_secret() if data.kind is PerkKind.LINK else None,
        low_stock_threshold=threshold,
        pool_low_at=None,
        plan_ids=plans,
        add_on_ids=add_ons,
        archived_at=None,
        created_at=now,
        updated_at=now,
    )
    session.add(perk)
    session.flush()
    return perk


def update(
    session: Session, tenant: Tenant, perk_id: str, data: PartnerPerkUpdate, now: datetime
) -> PartnerPerk:
    """Change the perk; subscribers it now grants are given codes as far as the pool goes,
    and the pool's low mark follows a new threshold."""
    perk = get(session, tenant, perk_id)
    if perk.archived_at is not None:
        raise ConflictError(f"Partner perk '{perk.id}' is archived.")
    changes: dict[str, Any] = data.model_dump(exclude_unset=True)
    link = perk.kind == PerkKind.LINK.value
    for name in ("name", "partner_name", "description"):
        if changes.get(name) is not None:
            setattr(perk, name, changes[name])
    if "url_template" in changes:
        if not link:
            raise invalid("/url_template", "a voucher perk has no link")
        if changes["url_template"] is None:
            raise invalid("/url_template", "a link perk needs the partner's address")
        perk.url_template = check_url_template(changes["url_template"], tenant.livemode)
    if "low_stock_threshold" in changes:
        if link and changes["low_stock_threshold"] is not None:
            raise invalid("/low_stock_threshold", "only a voucher perk has a pool of codes")
        perk.low_stock_threshold = changes["low_stock_threshold"]
    if changes.get("plans") is not None or changes.get("add_ons") is not None:
        plans = perk.plan_ids if changes.get("plans") is None else changes["plans"]
        add_ons = perk.add_on_ids if changes.get("add_ons") is None else changes["add_ons"]
        perk.plan_ids, perk.add_on_ids = _owners(session, tenant, plans, add_ons)
    perk.updated_at = now
    session.flush()
    if not link:
        pool.serve_waiting(session, tenant, perk, now)
        pool.settle(session, tenant, perk, now)
    return perk


def archive(session: Session, tenant: Tenant, perk_id: str, now: datetime) -> PartnerPerk:
    """No longer granted: subscribers stop seeing it, and its pool gives no more codes."""
    perk = lookup.archive(get(session, tenant, perk_id), "partner perk", now)
    session.flush()
    return perk


def rotate_secret(session: Session, tenant: Tenant, perk_id: str, now: datetime) -> PartnerPerk:
    """A new signing secret; links made from now on carry tokens signed with it."""
    perk = get(session, tenant, perk_id)
    if perk.kind != PerkKind.LINK.value:
        raise ConflictError(f"Partner perk '{perk.id}' is a voucher perk: it signs nothing.")
    if perk.archived_at is not None:
        raise ConflictError(f"Partner perk '{perk.id}' is archived.")
    perk.secret = new_secret()
    perk.updated_at = now
    session.flush()
    return perk


def page(
    session: Session, tenant: Tenant, limit: int, starting_after: str | None
) -> Page[PartnerPerk]:
    return repository.page(session, tenant, limit, starting_after)


def to_out(session: Session, tenant: Tenant, perks: Sequence[PartnerPerk]) -> list[PartnerPerkOut]:
    """The perks as the API shows them, voucher pools counted (a query for the codes and
    one per voucher perk for its waiting subscribers)."""
    vouchers = [p for p in perks if p.kind == PerkKind.VOUCHER.value]
    counted = repository.counts(session, tenant, [p.id for p in vouchers])
    out = []
    for perk in perks:
        counts = None
        if perk.kind == PerkKind.VOUCHER.value:
            free, given = counted[perk.id]
            waiting = (
                repository.count_waiting(session, tenant, perk) if perk.archived_at is None else 0
            )
            counts = VoucherCounts(available=free, assigned=given, waiting=waiting)
        out.append(
            PartnerPerkOut(
                id=perk.id,
                name=perk.name,
                partner_name=perk.partner_name,
                description=perk.description,
                kind=PerkKind(perk.kind),
                url_template=perk.url_template,
                low_stock_threshold=perk.low_stock_threshold,
                pool_low=perk.pool_low_at is not None,
                plans=perk.plan_ids,
                add_ons=perk.add_on_ids,
                vouchers=counts,
                livemode=perk.livemode,
                archived=perk.archived_at is not None,
                created_at=perk.created_at,
            )
        )
    return out


def with_secret(session: Session, tenant: Tenant, perk: PartnerPerk) -> PartnerPerkWithSecret:
    shown = to_out(session, tenant, [perk])[0]
    return PartnerPerkWithSecret(**shown.model_dump(), secret=perk.secret)
