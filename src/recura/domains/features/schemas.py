from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel

from recura.domains.common.fields import Code, Name, Schema, example, example_in
from recura.domains.products.schemas import Description


class FeatureKind(StrEnum):
    BOOLEAN = "boolean"
    LIMIT = "limit"
    METERED = "metered"


class FeatureCreate(Schema):
    model_config = example_in(
        {"code": "projects", "name": "Projects", "kind": "limit"},
        {
            "code": "api_calls",
            "name": "API calls",
            "kind": "metered",
            "billable_metric": "bm_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
        },
    )

    code: Code
    name: Name
    description: Description | None = None
    kind: FeatureKind
    billable_metric: str | None = None


class FeatureUpdate(Schema):
    model_config = example_in({"name": "Active projects"})

    name: Name | None = None
    description: Description | None = None


class FeatureOut(BaseModel):
    model_config = example(
        {
            "object": "feature",
            "id": "feat_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "code": "projects",
            "name": "Projects",
            "description": None,
            "kind": "limit",
            "billable_metric": None,
            "livemode": False,
            "archived": False,
            "created_at": "2026-01-15T09:30:00Z",
        }
    )

    object: Literal["feature"] = "feature"
    id: str
    code: str
    name: str
    description: str | None
    kind: FeatureKind
    billable_metric: str | None
    livemode: bool
    archived: bool
    created_at: datetime
