"""Writing a support note from a console page (the customer's page, the at-risk list):
kept in `customer_notes` and shown on the customer's page, with an audit entry
`customer.support_note` about the customer so the audit log tells who wrote what."""

from __future__ import annotations

from fastapi import Request

from recura.console import audit, pages
from recura.console.auth import Operator
from recura.domains.common.tenant import Tenant
from recura.domains.customer_notes import service as notes
from recura.domains.customers import repository as customers

ACTION = "customer.support_note"
NOTE_MAX = notes.NOTE_MAX


def add(request: Request, operator: Operator, customer_id: str, text: str) -> str | None:
    """Write the note; what stopped it otherwise: `not_found` (no such customer of the
    account) or `note_empty`."""
    if not notes.tidy(text):
        return "note_empty"
    with pages.unit(request) as session:
        customer = customers.find_by_key(session, operator.account.id, customer_id)
        if customer is None:
            return "not_found"
        tenant = Tenant(customer.account_id, customer.livemode)
        user = operator.user
        now = request.app.state.clock.now()
        notes.add(session, tenant, customer, user.id, user.name or user.email, text, now)
        audit.record(
            session, request, operator, ACTION, "customer", customer.id, livemode=tenant.livemode
        )
    return None
