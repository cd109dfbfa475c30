from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, Field, StringConstraints, field_validator
from pydantic.json_schema import SkipJsonSchema

from recura.domains.common.fields import Code, Name, Schema, example, example_in

Aggregation = Literal["count", "sum", "max", "unique_count", "latest"]
# Event property names as integrators write them ("gb", "region", "request.path").
PropertyName = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$")
]
FilterValue = Annotated[str, StringConstraints(min_length=1, max_length=255)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
MAX_FILTERS = 20


def _immutable(value: Any) -> Any:
    raise ValueError(
        "cannot be changed: it decides amounts already billed; create a new metric instead"
    )


# Declared (but hidden from OpenAPI) so a PATCH that sends them gets a reason, not "unknown field".
Immutable = SkipJsonSchema[Annotated[Any, BeforeValidator(_immutable)]]

FILTER_EXAMPLE = {"property": "region", "values": ["eu-central-1", "eu-west-1"]}
METRIC_EXAMPLE = {
    "object": "billable_metric",
    "id": "bm_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "code": "storage_gb",
    "name": "Storage (GB)",
    "description": "Peak storage used in the period, EU regions only.",
    "aggregation": "max",
    "field_name": "gb",
    "filters": [FILTER_EXAMPLE],
    "livemode": False,
    "archived": False,
    "created_at": "2026-03-01T10:00:00Z",
    "updated_at": "2026-03-01T10:00:00Z",
}


class MetricFilter(Schema):
    """Only events whose `properties[property]` is one of `values` count."""

    model_config = example_in(FILTER_EXAMPLE)

    property: PropertyName
    values: list[FilterValue] = Field(min_length=1, max_length=100)


class MetricFilterOut(BaseModel):
    model_config = example(FILTER_EXAMPLE)

    property: str
    values: list[str]


class BillableMetricCreate(Schema):
    model_config = example_in(
        {k: METRIC_EXAMPLE[k] for k in ("code", "name", "description", "aggregation", "field_name")}
        | {"filters": [FILTER_EXAMPLE]}
    )

    code: Code = Field(description="Events are sent with this code; unique in the account.")
    name: Name
    description: Description | None = None
    aggregation: Aggregation
    field_name: PropertyName | None = Field(
        default=None,
        description="The event property aggregated; required unless aggregation is count.",
    )
    filters: list[MetricFilter] = Field(default_factory=list, max_length=MAX_FILTERS)


class BillableMetricUpdate(Schema):
    """Only name and description change; the rest decides amounts already billed."""

    model_config = example_in({"name": "Peak storage (GB)", "description": None})

    name: Name | None = None
    description: Description | None = None
    code: Immutable = None
    aggregation: Immutable = None
    field_name: Immutable = None
    filters: Immutable = None

    @field_validator("name")
    @classmethod
    def _name_not_null(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("cannot be null")
        return value


class BillableMetricOut(BaseModel):
    model_config = example(METRIC_EXAMPLE)

    object: Literal["billable_metric"] = "billable_metric"
    id: str
    code: str
    name: str
    description: str | None
    aggregation: Aggregation
    field_name: str | None
    filters: list[MetricFilterOut]
    livemode: bool
    archived: bool
    created_at: datetime
    updated_at: datetime
