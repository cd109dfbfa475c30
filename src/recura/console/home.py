"""The console's home: which account this is; its metrics come here."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from recura.console import auth
from recura.console.auth import Operator

router = APIRouter(prefix="/console")


@router.get("")
def home(
    request: Request, operator: Operator = Depends(auth.require("metrics.read"))
) -> HTMLResponse:
    return auth.render(request, operator, "home.html")
