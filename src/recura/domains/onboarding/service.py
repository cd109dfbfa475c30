"""Onboarding steps: what the merchant asks new subscribers to do, per plan, product or
account, in each language it writes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from recura.db.models import OnboardingStep, Plan, Product
from recura.domains.common import localized, lookup
from recura.domains.common.errors import NotFoundError, invalid
from recura.domains.common.pages import Page
from recura.domains.common.tenant import Tenant
from recura.domains.onboarding import repository
from recura.domains.onboarding.schemas import (
    OnboardingStepCreate,
    OnboardingStepOut,
    OnboardingStepUpdate,
    StepText,
)
from recura.ids import PREFIXES, new_id

KIND = "onboarding step"


def get(session: Session, tenant: Tenant, step_id: str) -> OnboardingStep:
    return lookup.require(session, tenant, OnboardingStep, step_id, KIND)


def find(session: Session, tenant: Tenant, id_or_code: str) -> OnboardingStep:
    """A step by its id or its code; 404 when neither names one."""
    found = None
    if id_or_code.startswith(PREFIXES["onboarding_step"] + "_"):
        found = lookup.find(session, tenant, OnboardingStep, id_or_code)
    found = found or lookup.by_code(session, tenant, OnboardingStep, id_or_code)
    if found is None:
        raise NotFoundError(KIND, id_or_code)
    return found


def create(
    session: Session, tenant: Tenant, data: OnboardingStepCreate, now: datetime
) -> OnboardingStep:
    if data.product is not None and data.plan is not None:
        raise invalid("/plan", "a step is for one plan or one product (or every subscriber)")
    if data.product is not None:
        lookup.referenced(session, tenant, Product, data.product, "product", "/product")
    if data.plan is not None:
        lookup.referenced(session, tenant, Plan, data.plan, "plan", "/plan")
    lookup.ensure_code_free(session, tenant, OnboardingStep, data.code, KIND)
    step = OnboardingStep(
        id=new_id("onboarding_step"),
        **tenant.row_keys(),
        code=data.code,
        product_id=data.product,
        plan_id=data.plan,
        position=data.position,
        link_url=data.link,
        texts=localized.stored(data.texts),
        archived_at=None,
        created_at=now,
        updated_at=now,
    )
    session.add(step)
    session.flush()
    return step


def update(
    session: Session, tenant: Tenant, step_id: str, data: OnboardingStepUpdate, now: datetime
) -> OnboardingStep:
    step = get(session, tenant, step_id)
    changes = data.model_fields_set
    if "position" in changes:
        if data.position is None:
            raise invalid("/position", "must be a whole number from 0")
        step.position = data.position
    if "link" in changes:
        step.link_url = data.link
    if "texts" in changes:
        if data.texts is None:
            raise invalid("/texts", "a step needs its texts in at least one language")
        step.texts = localized.stored(data.texts)
    step.updated_at = now
    session.flush()
    return step


def archive(session: Session, tenant: Tenant, step_id: str, now: datetime) -> OnboardingStep:
    """Archived, a step leaves every guide; its completions are kept."""
    return lookup.archive(get(session, tenant, step_id), KIND, now)


def page(
    session: Session,
    tenant: Tenant,
    limit: int,
    starting_after: str | None,
    product: str | None = None,
    plan: str | None = None,
) -> Page[OnboardingStep]:
    return repository.page(session, tenant, limit, starting_after, product, plan)


def to_out(step: OnboardingStep) -> OnboardingStepOut:
    return OnboardingStepOut(
        id=step.id,
        code=step.code,
        product=step.product_id,
        plan=step.plan_id,
        position=step.position,
        link=step.link_url,
        texts={lang: StepText.model_validate(text) for lang, text in step.texts.items()},
        livemode=step.livemode,
        archived=step.archived_at is not None,
        created_at=step.created_at,
        updated_at=step.updated_at,
    )
