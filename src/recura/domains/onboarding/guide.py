"""A customer's getting-started guide: the steps of their subscriptions' plans and
products and the account-wide ones, in their language, each done or not; and marking a
step done, once, with its `onboarding_step.completed` event.

Pages (checkout's success page, the portal's "Getting started") and the API call the same
functions: `guide` and `complete`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recura.db.models import Account, Customer, OnboardingCompletion, OnboardingStep
from recura.domains.accounts import repository as accounts
from recura.domains.common import languages, localized, lookup, markdown
from recura.domains.common.errors import ConflictError, NotFoundError
from recura.domains.common.tenant import Tenant
from recura.domains.events import payloads
from recura.domains.events import service as events
from recura.domains.onboarding import repository, service
from recura.domains.onboarding.schemas import (
    CompletedBy,
    CompletionOut,
    GuideStepOut,
    OnboardingOut,
)
from recura.ids import new_id

# Subscriptions in these states have nothing left to get started with.
ENDED = frozenset({"canceled"})


@dataclass(frozen=True, slots=True)
class GuideStep:
    id: str
    code: str
    title: str
    body: str  # Markdown, as written
    body_html: Markup  # safe to put in a page as is
    body_text: str
    link: str | None
    done: bool
    completed_at: datetime | None
    completed_by: str | None


@dataclass(frozen=True, slots=True)
class Guide:
    customer_id: str
    language: str
    steps: list[GuideStep]

    @property
    def done(self) -> int:
        return sum(1 for step in self.steps if step.done)

    @property
    def total(self) -> int:
        return len(self.steps)

    @property
    def finished(self) -> bool:
        return self.done == self.total


def guide(
    session: Session,
    tenant: Tenant,
    customer_id: str,
    *,
    subscription_id: str | None = None,
    language: str | None = None,
) -> Guide:
    """The customer's guide: for one of their subscriptions (`subscription_id`), or for
    all that have not ended; in `language` if given, else the customer's own (falling back
    to the account's). 404 for another tenant's customer or a subscription not theirs."""
    customer = lookup.require(session, tenant, Customer, customer_id, "customer")
    account = accounts.account_by_key(session, tenant.account_id)
    subscriptions = repository.subscriptions_of(session, tenant, customer.id)
    if subscription_id is not None:
        subscriptions = [s for s in subscriptions if s[0] == subscription_id]
        if not subscriptions:
            raise NotFoundError("subscription", subscription_id)
    else:
        subscriptions = [s for s in subscriptions if s[3] not in ENDED]
    steps = repository.steps_for(
        session, tenant, {s[1] for s in subscriptions}, {s[2] for s in subscriptions}
    )
    done = repository.completions(session, tenant, customer.id, [s.id for s in steps])
    reads = language or reader_language(customer, account)
    return Guide(
        customer_id=customer.id,
        language=reads,
        steps=[_step(step, done.get(step.id), reads, account) for step in steps],
    )


def reader_language(customer: Customer, account: Account) -> str:
    return languages.for_customer(customer.locale, account.locale, account.fallback_locale)


def _step(
    step: OnboardingStep, completion: OnboardingCompletion | None, language: str, account: Account
) -> GuideStep:
    _, text = localized.pick(step.texts, language, account.locale, account.fallback_locale)
    body = text.get("body", "")
    return GuideStep(
        id=step.id,
        code=step.code,
        title=text["title"],
        body=body,
        body_html=markdown.to_html(body),
        body_text=markdown.to_text(body),
        link=step.link_url,
        done=completion is not None,
        completed_at=completion.completed_at if completion else None,
        completed_by=completion.completed_by if completion else None,
    )


def complete(
    session: Session,
    tenant: Tenant,
    customer_id: str,
    step: str,
    by: CompletedBy,
    now: datetime,
) -> OnboardingCompletion:
    """Mark the step (its id or code) done for the customer, recording
    `onboarding_step.completed`; done already, it returns the first completion and records
    nothing. An archived step cannot be completed (409)."""
    customer = lookup.require(session, tenant, Customer, customer_id, "customer")
    found = service.find(session, tenant, step)
    existing = repository.completion(session, tenant, customer.id, found.id)
    if existing is not None:
        return existing
    if found.archived_at is not None:
        raise ConflictError(f"Onboarding step '{found.id}' is archived.")
    completion = OnboardingCompletion(
        id=new_id("onboarding_completion"),
        **tenant.row_keys(),
        customer_id=customer.id,
        step_id=found.id,
        completed_at=now,
        completed_by=by,
        created_at=now,
    )
    try:
        # Two requests at once: the second finds the first's row (the unique key).
        with session.begin_nested():
            session.add(completion)
            session.flush()
    except IntegrityError:
        first = repository.completion(session, tenant, customer.id, found.id)
        if first is None:
            raise
        return first
    data = payloads.OnboardingStepCompleted(
        id=completion.id,
        step=found.id,
        code=found.code,
        customer=customer.id,
        completed_by=by,
        completed_at=now,
    )
    events.record(session, tenant, data, now)
    return completion


def completion_out(completion: OnboardingCompletion, code: str) -> CompletionOut:
    return CompletionOut(
        id=completion.id,
        step=completion.step_id,
        code=code,
        customer=completion.customer_id,
        completed_by=completion.completed_by,
        completed_at=completion.completed_at,
        livemode=completion.livemode,
    )


def to_out(found: Guide) -> OnboardingOut:
    return OnboardingOut(
        customer=found.customer_id,
        language=found.language,
        done=found.done,
        total=found.total,
        steps=[
            GuideStepOut(
                step=s.id,
                code=s.code,
                title=s.title,
                body=s.body,
                body_html=str(s.body_html),
                link=s.link,
                done=s.done,
                completed_at=s.completed_at,
                completed_by=s.completed_by,
            )
            for s in found.steps
        ],
    )


# --- the welcome email ------------------------------------------------------------------


def guides_for_welcomes(
    session: Session, wanted: Mapping[tuple[str, bool], Iterable[tuple[str, str, str]]]
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """For the welcome emails of a batch: (account, subscription) -> the guide of that
    subscription as the email stores it, every language's texts kept (the email picks its
    reader's). `wanted`: by (account, livemode), the (subscription, plan, product) triples."""
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for (account_id, livemode), triples in wanted.items():
        triples = list(triples)
        steps = repository.steps_by_plan(
            session, account_id, livemode, {(plan, product) for _, plan, product in triples}
        )
        for subscription, plan, product in triples:
            found[(account_id, subscription)] = [
                {"code": s.code, "texts": s.texts, "link": s.link_url}
                for s in steps
                if _applies(s, plan, product)
            ]
    return found


def _applies(step: OnboardingStep, plan: str, product: str) -> bool:
    if step.plan_id is not None:
        return step.plan_id == plan
    if step.product_id is not None:
        return step.product_id == product
    return True


def localized_guide(
    steps: Sequence[Mapping[str, Any]], language: str, account: Account
) -> list[dict[str, Any]]:
    """A stored guide in the language its reader reads: title, Markdown body and link."""
    shown = []
    for step in steps:
        _, text = localized.pick(step["texts"], language, account.locale, account.fallback_locale)
        shown.append({"title": text["title"], "body": text.get("body", ""), "link": step["link"]})
    return shown
