from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from recura.domains.common.fields import Metadata, Name, Schema, example, example_in

Description = Annotated[str, StringConstraints(max_length=1000)]


class ProductCreate(Schema):
    model_config = example_in({"name": "Norditech CRM", "description": "CRM for small teams"})

    name: Name
    description: Description | None = None
    metadata: Metadata = Field(default_factory=dict)


class ProductUpdate(Schema):
    model_config = example_in({"description": "CRM for small and mid-sized teams"})

    name: Name | None = None
    description: Description | None = None
    metadata: Metadata | None = None


class ProductOut(BaseModel):
    model_config = example(
        {
            "object": "product",
            "id": "prod_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "name": "Norditech CRM",
            "description": "CRM for small teams",
            "metadata": {},
            "livemode": False,
            "archived": False,
            "created_at": "2026-01-15T09:30:00Z",
        }
    )

    object: Literal["product"] = "product"
    id: str
    name: str
    description: str | None
    metadata: dict[str, str]
    livemode: bool
    archived: bool
    created_at: datetime
