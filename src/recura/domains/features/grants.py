"""Feature grants of plans and add-ons: `{"feature": "feat_…", "value": 10}`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, StrictBool, StrictInt
from sqlalchemy.orm import Session

from recura.db.models import Feature, FeatureGrant
from recura.domains.common import lookup
from recura.domains.common.errors import FieldError, InvalidError
from recura.domains.common.fields import Schema, example, example_in
from recura.domains.common.tenant import Tenant
from recura.domains.features import repository
from recura.domains.features.schemas import FeatureKind
from recura.ids import new_id

MAX_LIMIT = 10**12


class GrantIn(Schema):
    model_config = example_in(
        {"feature": "feat_01JD3Q4W5E6R7T8Y9U0I1O2P3A", "value": 10},
        {"feature": "feat_01JD3Q4W5E6R7T8Y9U0I1O2P3B", "value": True},
    )

    feature: str
    value: StrictBool | StrictInt | None = None


class GrantOut(BaseModel):
    model_config = example(
        {
            "feature": "feat_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "code": "projects",
            "kind": "limit",
            "value": 10,
        }
    )

    feature: str
    code: str
    kind: FeatureKind
    value: bool | int | None


def check(
    session: Session, tenant: Tenant, grants: list[GrantIn], pointer: str
) -> list[tuple[Feature, Any]]:
    """Each grant's feature exists, appears once, and has a value of its kind."""
    errors: list[FieldError] = []
    checked: list[tuple[Feature, Any]] = []
    seen: set[str] = set()
    for index, grant in enumerate(grants):
        here = f"{pointer}/{index}"
        try:
            feature = lookup.referenced(
                session, tenant, Feature, grant.feature, "feature", f"{here}/feature"
            )
        except InvalidError as exc:
            errors += exc.errors
            continue
        if feature.id in seen:
            errors.append(FieldError(f"{here}/feature", "is granted twice"))
        seen.add(feature.id)
        problem = _value_problem(FeatureKind(feature.kind), grant.value)
        if problem:
            errors.append(FieldError(f"{here}/value", problem))
        checked.append((feature, grant.value))
    if errors:
        raise InvalidError(errors)
    return checked


def _value_problem(kind: FeatureKind, value: bool | int | None) -> str | None:
    if kind is FeatureKind.BOOLEAN:
        return None if isinstance(value, bool) else "a boolean feature takes true or false"
    if isinstance(value, bool) or (value is not None and not 0 <= value <= MAX_LIMIT):
        return f"a {kind} feature takes a whole number from 0 (or null for unlimited)"
    return None


def replace(
    session: Session,
    tenant: Tenant,
    checked: list[tuple[Feature, Any]],
    now: datetime,
    *,
    plan_id: str | None = None,
    add_on_id: str | None = None,
) -> None:
    repository.delete_grants(session, tenant, plan_id=plan_id, add_on_id=add_on_id)
    for feature, value in checked:
        session.add(
            FeatureGrant(
                id=new_id("feature_grant"),
                **tenant.row_keys(),
                plan_id=plan_id,
                add_on_id=add_on_id,
                feature_id=feature.id,
                value=value,
                created_at=now,
            )
        )
    session.flush()


def of_owners(
    session: Session,
    tenant: Tenant,
    *,
    plan_ids: Sequence[str] = (),
    add_on_ids: Sequence[str] = (),
) -> dict[str, list[GrantOut]]:
    """Grants per plan or add-on id, for a whole page of owners in one query."""
    if not plan_ids and not add_on_ids:
        return {}
    result: dict[str, list[GrantOut]] = defaultdict(list)
    for grant, feature in repository.grants_of_owners(session, tenant, plan_ids, add_on_ids):
        owner = grant.plan_id or grant.add_on_id or ""
        result[owner].append(
            GrantOut(
                feature=feature.id,
                code=feature.code,
                kind=FeatureKind(feature.kind),
                value=grant.value,
            )
        )
    return result
