"""The audit log page: who changed what, newest first, filtered as the API's list is (actor
kind, actor, action, target, dates) and paged by cursor; a settings change shows its fields
before and after. Live and test data are kept apart, as everywhere: one mode at a time.

Dates are days in the account's time zone, both ends included.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import get_args
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from recura.console import auth, pages
from recura.console.auth import Operator
from recura.domains.accounts import api_keys
from recura.domains.audit import service as audit
from recura.domains.audit.schemas import ActorKind
from recura.domains.common.tenant import Tenant
from recura.domains.users import service as users

router = APIRouter(prefix="/console/audit-log")
READ = auth.require("audit.read")
PER_PAGE = 50
ACTOR_KINDS: tuple[str, ...] = get_args(ActorKind)
# What each filter may hold, as the API's query parameters allow.
LIMITS = {"actor": 40, "action": 80, "target_type": 40, "target_id": 200}


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), zone)


@router.get("")
def log(
    request: Request,
    mode: str = "live",
    actor_kind: str = "",
    actor: str = "",
    action: str = "",
    target_type: str = "",
    target_id: str = "",
    since: str = "",
    until: str = "",
    after: str = "",
    operator: Operator = Depends(READ),
) -> Response:
    texts = {"actor": actor, "action": action, "target_type": target_type, "target_id": target_id}
    texts = {name: value.strip()[: LIMITS[name]] for name, value in texts.items()}
    kind = actor_kind if actor_kind in ACTOR_KINDS else ""
    livemode = mode != "test"
    first, last = _day(since), _day(until)
    zone = ZoneInfo(operator.account.timezone or "UTC")
    filters = {
        "mode": "live" if livemode else "test",
        "actor_kind": kind,
        **texts,
        "since": first.isoformat() if first else "",
        "until": last.isoformat() if last else "",
    }
    with pages.unit(request) as session:
        found = audit.page(
            session,
            Tenant(account_id=operator.account.id, livemode=livemode),
            PER_PAGE,
            after[:40] or None,
            actor_kind=kind or None,
            actor_id=texts["actor"] or None,
            action=texts["action"] or None,
            target_type=texts["target_type"] or None,
            target_id=texts["target_id"] or None,
            created_gte=_start(first, zone) if first else None,
            created_lt=_start(last + timedelta(days=1), zone) if last else None,
        )
        team = [(user.id, user.email) for user in users.of_account(session, operator.account.id)]
        keys = [
            (key.id, api_keys.label(key.name, key.livemode, key.last4))
            for key in api_keys.of_account(session, operator.account.id, 200)
            if key.livemode == livemode
        ]
        session.expunge_all()
    kept = {name: value for name, value in filters.items() if value}
    following = None
    if found.has_more and found.items:
        following = "?" + urlencode({**kept, "after": found.items[-1].id})
    return auth.render(
        request,
        operator,
        "audit_log.html",
        entries=found.items,
        filters=filters,
        actor_kinds=ACTOR_KINDS,
        team=team,
        keys=keys,
        following=following,
        first_page="?" + urlencode(kept) if after else None,
        at=lambda moment: _local(moment, zone),
    )


def _local(moment: datetime, zone: ZoneInfo) -> str:
    """A moment as the account's clock shows it (a naive one is UTC, as stored)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(zone).strftime("%Y-%m-%d %H:%M")
