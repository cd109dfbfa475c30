"""The portal's overview, the first page after signing in."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from recura.domains.cancellations import portal as portal_rules
from recura.portal import dashboard, overview_sections, pages, signed_in

router = APIRouter()


@router.get("/portal")
def overview(request: Request) -> Response:
    with pages.unit(request) as session:
        visitor = signed_in.visitor(session, request)
        if visitor is None:
            return signed_in.sign_in_again(session, request)
        tenant, customer = visitor.tenant, visitor.customer
        shown = dashboard.subscriptions_of(session, tenant, customer.id, visitor.now)
        return pages.PAGES.render(
            request,
            "home.html",
            visitor.frame(),
            customer_name=customer.name or "",
            subscriptions=shown,
            benefits=dashboard.benefits_of(session, tenant, customer.id, visitor.now),
            return_url=visitor.portal_session.return_url,
            pause_enabled=portal_rules.pause_enabled(visitor.account),
            **overview_sections.sections(session, request, visitor, shown),
        )
