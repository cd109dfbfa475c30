"""Sections of the console still to be built: a page each, behind its permission, saying
what will be there, so the navigation is whole from the start."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from recura.console import auth
from recura.console.auth import Operator
from recura.console.navigation import SECTIONS, Section

router = APIRouter()
COMING = ("payments", "catalog", "settings", "support")


def _endpoint(section: Section) -> Callable[..., HTMLResponse]:
    def page(
        request: Request, operator: Operator = Depends(auth.require(section.permission))
    ) -> HTMLResponse:
        return auth.render(request, operator, "coming.html", section=section.key)

    return page


for _section in SECTIONS:
    if _section.key in COMING:
        router.add_api_route(
            _section.path, _endpoint(_section), methods=["GET"], name=f"console_{_section.key}"
        )
