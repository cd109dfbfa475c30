"""Cursor-paginated list responses: `{"object": "list", "data": [...], "has_more": bool}`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from pydantic import BaseModel, create_model

from recura.domains.common.fields import example
from recura.domains.common.pages import MAX_LIMIT


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


def list_schema(item: type[BaseModel]) -> type[BaseModel]:
    """A named list model, so OpenAPI shows e.g. `CustomerList` with an example."""
    extra: Any = item.model_config.get("json_schema_extra") or {}
    item_example = extra["examples"][0]
    name = item.__name__.removesuffix("Out") + "List"
    model: type[BaseModel] = create_model(
        name,
        __config__=example({"object": "list", "data": [item_example], "has_more": False}),
        object=(Literal["list"], "list"),
        data=(list[item], ...),  # type: ignore[valid-type]
        has_more=(bool, ...),
    )
    return model
