"""The audit entry of a console action: who (the signed-in user), what and on which object,
written on the action's own session so it commits, or rolls back, with the change.

The API writes its entries where each request commits (api/audit_trail.py); console pages
name their action themselves (`user.role_change`, `api_key.create`), as one page does
several things. What a settings service noted (`domains/audit/changes.py`) goes with it.
"""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.orm import Session

from recura.console.auth import Operator
from recura.domains.audit import service as audit
from recura.domains.common.tenant import Tenant


def record(
    session: Session,
    request: Request,
    operator: Operator,
    action: str,
    target_type: str,
    target_id: str | None,
    *,
    livemode: bool = True,
) -> str:
    """One entry for `action` by `operator`; the team and the operators' own accounts belong
    to the account, not to its test or live data, so they are written in live mode."""
    return audit.record(
        session,
        Tenant(account_id=operator.account.id, livemode=livemode),
        operator.actor(),
        action,
        target_type,
        target_id,
        request.app.state.clock.now(),
        ip=request.client.host if request.client else None,
    )
