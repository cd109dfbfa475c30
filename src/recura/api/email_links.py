"""Pages behind the links in subscriber emails. No API key: the signed token in the
address is the proof. One-click unsubscription follows RFC 8058: mail clients POST to the
List-Unsubscribe address; a person who follows the link gets a page asking first."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session, sessionmaker

from recura.db.unit_of_work import unit_of_work
from recura.notifications import rendering, unsubscribe

router = APIRouter(prefix="/email", include_in_schema=False)
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _page(request: Request, token: str, act: bool) -> HTMLResponse:
    factory: sessionmaker[Session] = request.app.state.session_factory
    now = request.app.state.clock.now()
    with unit_of_work(factory) as session:
        found = unsubscribe.find(session, request.app.state.secret, token, now)
        if found is None:
            html = rendering.unsubscribe_page("invalid", "en")
            return HTMLResponse(html, status_code=404, headers=_HEADERS)
        if act:
            unsubscribe.opt_out(found, now)
        html = rendering.unsubscribe_page(
            "done" if act else "ask",
            found.locale,
            found.account.email_from_name or found.account.legal_name,
            found.customer.email or "",
        )
    return HTMLResponse(html, headers=_HEADERS)


@router.get("/unsubscribe/{token}")
def ask_to_unsubscribe(token: str, request: Request) -> HTMLResponse:
    return _page(request, token, act=False)


@router.post("/unsubscribe/{token}")
def unsubscribe_now(token: str, request: Request) -> HTMLResponse:
    return _page(request, token, act=True)
