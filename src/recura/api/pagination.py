"""Cursor-paginated list responses: `{"object": "list", "data": [...], "has_more": bool}`."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from pydantic import AwareDatetime, BaseModel, BeforeValidator, create_model

from recura.domains.common.pages import MAX_LIMIT

_RFC_3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _rfc_3339(value: Any) -> Any:
    # Lax parsing would read "0.5" as a Unix time: an instant is sent as RFC 3339 text.
    if isinstance(value, str) and not _RFC_3339.match(value):
        raise ValueError("must be an RFC 3339 timestamp such as 2026-03-01T00:00:00Z")
    return value


# A list filter's instant (`created_gte`, `created_lt`).
Instant = Annotated[AwareDatetime, BeforeValidator(_rfc_3339)]


class PageParams(BaseModel):
    limit: int
    starting_after: str | None


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = 20,
    starting_after: Annotated[
        str | None,
        Query(max_length=40, description="The last id of the previous page."),
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, starting_after=starting_after)


PageDep = Annotated[PageParams, Depends(page_params)]


class ListBase(BaseModel):
    object: Literal["list"] = "list"
    has_more: bool


def list_schema(item: type[BaseModel]) -> type[ListBase]:
    """A named list model, so OpenAPI shows e.g. `CustomerList` with an example."""
    extra: Any = item.model_config.get("json_schema_extra") or {}
    name = item.__name__.removesuffix("Out") + "List"
    model: type[ListBase] = create_model(name, __base__=ListBase, data=(list[item], ...))  # type: ignore[valid-type]
    example: Any = {"object": "list", "data": [extra["examples"][0]], "has_more": False}
    model.model_config["json_schema_extra"] = {"examples": [example]}
    model.model_rebuild(force=True)
    return model
