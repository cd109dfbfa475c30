"""Announcements: written as drafts, published once (`announcement.published`), shown in
the portal to the customers they target until they end, and, with `email`, emailed once to
each of those who did not opt out (the worker writes those emails in chunks:
`notifications.announcements`).

Targeting: a customer is targeted when one of their subscriptions is of one of `plans` or
of a plan of one of `products` (both empty: any), and is in one of `statuses` (empty: any);
with all three empty, every customer is, with or without a subscription.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup
from sqlalchemy.orm import Session

from recura.core.lifecycle import Status
from recura.db.models import Announcement, Customer, Plan, Product
from recura.domains.accounts import repository as accounts
from recura.domains.announcements import repository
from recura.domains.announcements.schemas import (
    AnnouncementCreate,
    AnnouncementOut,
    AnnouncementText,
    AnnouncementUpdate,
)
from recura.domains.common import languages, localized, lookup, markdown
from recura.domains.common.errors import ConflictError, FieldError, InvalidError, invalid
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.ids import new_id

KIND = "announcement"


def get(session: Session, tenant: Tenant, announcement_id: str) -> Announcement:
    return lookup.require(session, tenant, Announcement, announcement_id, KIND)


def create(
    session: Session, tenant: Tenant, data: AnnouncementCreate, now: datetime
) -> Announcement:
    _check_targets(session, tenant, data.products, data.plans)
    _check_ends(data.ends_at, now)
    announcement = Announcement(
        id=new_id("announcement"),
        **tenant.row_keys(),
        texts=localized.stored(data.texts),
        product_ids=_unique(data.products),
        plan_ids=_unique(data.plans),
        statuses=_unique(s.value for s in data.statuses),
        email=data.email,
        published_at=None,
        ends_at=data.ends_at,
        published_event_id=None,
        email_status=None,
        email_cursor=None,
        emails_written=0,
        archived_at=None,
        created_at=now,
        updated_at=now,
    )
    session.add(announcement)
    session.flush()
    return announcement


def update(
    session: Session, tenant: Tenant, announcement_id: str, data: AnnouncementUpdate, now: datetime
) -> Announcement:
    """A draft changes freely; once published, its words, targets and end still may (the
    portal shows them as they are now), but not whether it is emailed."""
    announcement = get(session, tenant, announcement_id)
    if announcement.archived_at is not None:
        raise ConflictError(f"Announcement '{announcement.id}' is archived.")
    changes = data.model_fields_set
    nulls = [
        FieldError(f"/{name}", "may not be null")
        for name in ("texts", "products", "plans", "statuses", "email")
        if name in changes and getattr(data, name) is None
    ]
    if nulls:
        raise InvalidError(nulls)
    published = announcement.published_at is not None
    if "email" in changes and published and data.email != announcement.email:
        raise ConflictError("An announcement's emailing is decided before it is published.")
    _check_targets(session, tenant, data.products or [], data.plans or [])
    if "ends_at" in changes:
        _check_ends(data.ends_at, now)
        announcement.ends_at = data.ends_at
    if data.texts is not None:
        announcement.texts = localized.stored(data.texts)
    if data.products is not None:
        announcement.product_ids = _unique(data.products)
    if data.plans is not None:
        announcement.plan_ids = _unique(data.plans)
    if data.statuses is not None:
        announcement.statuses = _unique(s.value for s in data.statuses)
    if data.email is not None:
        announcement.email = data.email
    announcement.updated_at = now
    session.flush()
    return announcement


def publish(session: Session, tenant: Tenant, announcement_id: str, now: datetime) -> Announcement:
    """Publish now, recording `announcement.published` and, with `email`, starting its
    emails. Published already: unchanged, nothing recorded or sent again."""
    announcement = get(session, tenant, announcement_id)
    if announcement.published_at is not None:
        return announcement
    if announcement.archived_at is not None:
        raise ConflictError(f"Announcement '{announcement.id}' is archived.")
    if announcement.ends_at is not None and announcement.ends_at <= now:
        raise ConflictError("The announcement's end has passed: move `ends_at` first.")
    announcement.published_at = now
    announcement.updated_at = now
    data = payloads.AnnouncementPublished(
        id=announcement.id,
        languages=sorted(announcement.texts),
        products=announcement.product_ids,
        plans=announcement.plan_ids,
        statuses=[Status(s) for s in announcement.statuses],
        email=announcement.email,
        published_at=now,
        ends_at=announcement.ends_at,
    )
    event = events.record(session, tenant, data, now)
    if announcement.email:
        announcement.published_event_id = event.id
        announcement.email_status = repository.PENDING
    session.flush()
    return announcement


def archive(session: Session, tenant: Tenant, announcement_id: str, now: datetime) -> Announcement:
    """Withdrawn: no longer shown, and its emails not yet sent are not sent."""
    return lookup.archive(get(session, tenant, announcement_id), KIND, now)


def page(
    session: Session, tenant: Tenant, limit: int, starting_after: str | None
) -> Page[Announcement]:
    return repository.page(session, tenant, limit, starting_after)


# --- what a customer sees ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shown:
    id: str
    language: str
    title: str
    body: str  # Markdown, as written
    body_html: Markup  # safe to put in a page as is
    body_text: str
    published_at: datetime
    ends_at: datetime | None


def for_customer(
    session: Session,
    tenant: Tenant,
    customer_id: str,
    now: datetime,
    *,
    language: str | None = None,
) -> list[Shown]:
    """The announcements the customer is shown now, newest first, in `language` or the
    customer's own (falling back to the account's). 404 for another tenant's customer."""
    customer = lookup.require(session, tenant, Customer, customer_id, "customer")
    account = accounts.account_by_key(session, tenant.account_id)
    reads = language or languages.for_customer(
        customer.locale, account.locale, account.fallback_locale
    )
    subscriptions = repository.subscriptions_of(session, tenant, customer.id)
    shown = []
    for announcement in repository.current(session, tenant, now):
        if not targets(announcement, subscriptions):
            continue
        chosen, text = localized.pick(
            announcement.texts, reads, account.locale, account.fallback_locale
        )
        body = text.get("body", "")
        assert announcement.published_at is not None  # only published ones are current
        shown.append(
            Shown(
                id=announcement.id,
                language=chosen,
                title=text["title"],
                body=body,
                body_html=markdown.to_html(body),
                body_text=markdown.to_text(body),
                published_at=announcement.published_at,
                ends_at=announcement.ends_at,
            )
        )
    return shown


def targets(announcement: Announcement, subscriptions: Iterable[tuple[str, str, str]]) -> bool:
    """Whether a customer with these (plan, product, status) subscriptions is targeted."""
    plans, products = set(announcement.plan_ids), set(announcement.product_ids)
    statuses = set(announcement.statuses)
    if not (plans or products or statuses):
        return True
    for plan, product, status in subscriptions:
        of = not (plans or products) or plan in plans or product in products
        if of and (not statuses or status in statuses):
            return True
    return False


# --- helpers ----------------------------------------------------------------------------


def _unique(values: Iterable[str]) -> list[str]:
    return sorted(set(values))


def _check_targets(session: Session, tenant: Tenant, products: list[str], plans: list[str]) -> None:
    for i, product in enumerate(products):
        lookup.referenced(session, tenant, Product, product, "product", f"/products/{i}")
    for i, plan in enumerate(plans):
        lookup.referenced(session, tenant, Plan, plan, "plan", f"/plans/{i}")


def _check_ends(ends_at: datetime | None, now: datetime) -> None:
    if ends_at is not None and ends_at <= now:
        raise invalid("/ends_at", "must be in the future")


def status(announcement: Announcement, now: datetime) -> str:
    if announcement.archived_at is not None:
        return "archived"
    if announcement.published_at is None:
        return "draft"
    if announcement.ends_at is not None and announcement.ends_at <= now:
        return "ended"
    return "published"


def to_out(announcement: Announcement, now: datetime) -> AnnouncementOut:
    return AnnouncementOut(
        id=announcement.id,
        status=status(announcement, now),
        texts={k: AnnouncementText.model_validate(v) for k, v in announcement.texts.items()},
        products=announcement.product_ids,
        plans=announcement.plan_ids,
        statuses=[Status(s) for s in announcement.statuses],
        email=announcement.email,
        emails_written=announcement.emails_written,
        emailing=announcement.email_status,
        published_at=announcement.published_at,
        ends_at=announcement.ends_at,
        livemode=announcement.livemode,
        created_at=announcement.created_at,
        updated_at=announcement.updated_at,
    )
