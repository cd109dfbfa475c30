"""Settings, Portal options: the portal's onboarding steps and announcements of one mode,
listed, made and changed (a title and a Markdown body in each language), archived, and an
announcement published.

They call what `/v1/onboarding_steps` and `/v1/announcements` call (`domains/onboarding`,
`domains/announcements`), so the same checks refuse the same things. Those services note no
changes themselves, so each action here notes the object's fields before and after
(`changes.note`) for its audit entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from recura.console import audit, auth, modes, pages
from recura.console.auth import Operator
from recura.console.settings import PAGES, READ, WRITE
from recura.core.lifecycle import Status
from recura.domains.announcements import service as announcements
from recura.domains.announcements.schemas import AnnouncementCreate, AnnouncementUpdate
from recura.domains.audit import changes
from recura.domains.common.errors import ConflictError, InvalidError, NotFoundError
from recura.domains.common.tenant import Tenant
from recura.domains.onboarding import service as onboarding
from recura.domains.onboarding.schemas import OnboardingStepCreate, OnboardingStepUpdate

router = APIRouter(prefix="/console/settings/portal")
LANGUAGES = ("en", "ro")
SHOWN = 100
DONE = {"created", "saved", "archived", "published"}


@dataclass(frozen=True, slots=True)
class Kind:
    key: str  # "steps", "announcements"
    audited: str  # the audit entry's target type
    fields: tuple[str, ...]  # besides the texts
    actions: tuple[str, ...]


STEPS = Kind("steps", "onboarding_step", ("code", "position", "link"), ("save", "archive"))
NEWS = Kind("announcements", "announcement", ("ends_on", "email"), ("save", "publish", "archive"))
KINDS = {kind.key: kind for kind in (STEPS, NEWS)}
TEXT_FIELDS = tuple(f"{part}_{lang}" for lang in LANGUAGES for part in ("title", "body"))
# An announcement's audience by subscription status, a checkbox each (none: anyone).
STATUSES = tuple(status.value for status in Status)
STATUS_FIELDS = tuple(f"status_{status}" for status in STATUSES)


def _tenant(operator: Operator, test: bool) -> Tenant:
    return Tenant(operator.account.id, livemode=not test)


def _out(kind: Kind, row: Any, now: datetime) -> BaseModel:
    if kind is STEPS:
        return onboarding.to_out(row)
    return announcements.to_out(row, now)


def _values(kind: Kind, out: Any, zone: ZoneInfo) -> dict[str, str]:
    """An object's fields as the form's inputs hold them."""
    values = {f"{part}_{lang}": "" for lang in LANGUAGES for part in ("title", "body")}
    for lang, text in out.texts.items():
        values[f"title_{lang}"], values[f"body_{lang}"] = text.title, text.body
    if kind is STEPS:
        values.update(code=out.code, position=str(out.position), link=out.link or "")
    else:
        ends = out.ends_at.astimezone(zone).date().isoformat() if out.ends_at else ""
        values.update(ends_on=ends, email="on" if out.email else "")
        values.update({f"status_{status}": "on" for status in out.statuses})
    return values


def _listing(
    request: Request,
    operator: Operator,
    kind: Kind,
    test: bool,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    now = request.app.state.clock.now()
    tenant = _tenant(operator, test)
    with pages.unit(request) as session:
        if kind is STEPS:
            rows: list[Any] = list(onboarding.page(session, tenant, SHOWN, None).items)
        else:
            rows = list(announcements.page(session, tenant, SHOWN, None).items)
        items = [_out(kind, row, now) for row in rows]
    return auth.render(
        request,
        operator,
        "settings_guides.html",
        status,
        settings_page="portal",
        settings_pages=PAGES,
        kind=kind,
        items=items,
        languages=LANGUAGES,
        statuses=STATUSES,
        values=values or {"position": "0"},
        errors=errors or {},
        done=done if done in DONE else None,
        test=test,
        mode="test" if test else "live",
    )


def _item(
    request: Request,
    operator: Operator,
    kind: Kind,
    item_id: str,
    test: bool,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    done: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    now = request.app.state.clock.now()
    tenant = _tenant(operator, test)
    try:
        with pages.unit(request) as session:
            out: Any = _out(kind, _get(session, kind, tenant, item_id[:64]), now)
    except NotFoundError:
        return auth.render(request, operator, "not_found.html", 404)
    zone = ZoneInfo(operator.account.timezone)
    return auth.render(
        request,
        operator,
        "settings_guide.html",
        status,
        settings_page="portal",
        settings_pages=PAGES,
        kind=kind,
        item=out,
        languages=LANGUAGES,
        statuses=STATUSES,
        values=values if values is not None else _values(kind, out, zone),
        errors=errors or {},
        done=done if done in DONE else None,
        test=test,
        mode="test" if test else "live",
    )


def _get(session: Any, kind: Kind, tenant: Tenant, item_id: str) -> Any:
    if kind is STEPS:
        return onboarding.get(session, tenant, item_id)
    return announcements.get(session, tenant, item_id)


def _texts(values: dict[str, str]) -> dict[str, dict[str, str]]:
    """The languages given a title (a body alone is refused as a missing title)."""
    found = {}
    for lang in LANGUAGES:
        title, body = values[f"title_{lang}"].strip(), values[f"body_{lang}"].strip()
        if title or body:
            found[lang] = {"title": title, "body": body}
    return found


def _ends_at(values: dict[str, str], operator: Operator) -> datetime | None:
    """The end day's first moment in the account's time zone: shown until that day."""
    day = values.get("ends_on", "").strip()
    if not day:
        return None
    return datetime.combine(date.fromisoformat(day), time(), ZoneInfo(operator.account.timezone))


def _body(kind: Kind, values: dict[str, str], operator: Operator, new: bool) -> BaseModel:
    texts = _texts(values)
    if kind is STEPS:
        link = values["link"].strip() or None
        position = values["position"].strip() or "0"
        if new:
            return OnboardingStepCreate(
                code=values["code"].strip(), position=position, link=link, texts=texts
            )
        return OnboardingStepUpdate(position=position, link=link, texts=texts)
    try:
        ends = _ends_at(values, operator)
    except ValueError:
        raise InvalidError([]) from None
    statuses = [Status(status) for status in STATUSES if values.get(f"status_{status}")]
    if new:
        return AnnouncementCreate(
            texts=texts, ends_at=ends, email=bool(values.get("email")), statuses=statuses
        )
    return AnnouncementUpdate(texts=texts, ends_at=ends, statuses=statuses)


def _problems(kind: Kind, error: Exception, locale: str) -> dict[str, str]:
    """Each refusal at the form's field: a text's at its language's title or body."""
    found: dict[str, str] = {}
    places: list[list[str]] = []
    if isinstance(error, ValidationError):
        places = [[str(p) for p in e["loc"]] for e in error.errors()]
    elif isinstance(error, InvalidError):
        places = [e.pointer.strip("/").split("/") for e in error.errors] or [["ends_on"]]
    if isinstance(error, ConflictError):
        places = [["code"]]  # the one conflict on making: the code is taken
    for loc in places:
        key = None
        if loc and loc[0] == "texts":
            lang = loc[1] if len(loc) > 1 and loc[1] in LANGUAGES else "en"
            part = loc[2] if len(loc) > 2 and loc[2] in ("title", "body") else "title"
            name = f"{part}_{lang}"
            key = None if len(loc) > 1 else "invalid"  # no language at all
        elif loc and loc[0] == "ends_at":
            name = "ends_on"
        else:
            name = loc[0] if loc and loc[0] in kind.fields else ""
        key = key or name or "invalid"
        found.setdefault(name, pages.text(f"guides.error.{key}", locale))
    return found


def _kind(key: str) -> Kind | None:
    return KINDS.get(key)


@router.get("/{kind_key}")
def listing(
    kind_key: str,
    request: Request,
    test: bool = Depends(modes.is_test),
    done: str | None = None,
    operator: Operator = Depends(READ),
) -> Response:
    kind = _kind(kind_key)
    if kind is None:
        return auth.render(request, operator, "not_found.html", 404)
    return _listing(request, operator, kind, test, done=done)


@router.get("/{kind_key}/{item_id}")
def item(
    kind_key: str,
    item_id: str,
    request: Request,
    test: bool = Depends(modes.is_test),
    done: str | None = None,
    operator: Operator = Depends(READ),
) -> Response:
    kind = _kind(kind_key)
    if kind is None:
        return auth.render(request, operator, "not_found.html", 404)
    return _item(request, operator, kind, item_id, test, done=done)


@router.post("/{kind_key}")
async def create(kind_key: str, request: Request, operator: Operator = Depends(WRITE)) -> Response:
    fields = await pages.form(request, 64_000)
    return await run_in_threadpool(_create, request, operator, kind_key, fields)


def _create(
    request: Request, operator: Operator, kind_key: str, fields: dict[str, str]
) -> Response:
    kind = _kind(kind_key)
    if kind is None:
        return auth.render(request, operator, "not_found.html", 404)
    test = fields.get("mode") == "test"
    values = {
        name: fields.get(name, "")[:12_000] for name in (*kind.fields, *TEXT_FIELDS, *STATUS_FIELDS)
    }
    if not auth.form_accepted(request, operator, f"guide_create_{kind.key}", fields):
        errors = {"": pages.text("page.form_expired", operator.locale)}
        return _listing(request, operator, kind, test, errors=errors, values=values, status=403)
    tenant = _tenant(operator, test)
    now = request.app.state.clock.now()
    try:
        data = _body(kind, values, operator, new=True)
        with pages.unit(request) as session:
            if isinstance(data, OnboardingStepCreate):
                row: Any = onboarding.create(session, tenant, data, now)
            else:
                assert isinstance(data, AnnouncementCreate)
                row = announcements.create(session, tenant, data, now)
            changes.note(session, {}, _out(kind, row, now).model_dump(mode="json"))
            audit.record(
                session,
                request,
                operator,
                f"{kind.audited}.create",
                kind.audited,
                row.id,
                livemode=tenant.livemode,
            )
            made = row.id
    except (ValidationError, InvalidError, ConflictError, NotFoundError) as error:
        errors = _problems(kind, error, operator.locale)
        return _listing(request, operator, kind, test, errors=errors, values=values, status=422)
    query = f"{'mode=test&' if test else ''}done=created"
    return RedirectResponse(f"/console/settings/portal/{kind.key}/{made}?{query}", 303)


@router.post("/{kind_key}/{item_id}/{action}")
async def act(
    kind_key: str, item_id: str, action: str, request: Request, operator: Operator = Depends(WRITE)
) -> Response:
    fields = await pages.form(request, 64_000)
    return await run_in_threadpool(_act, request, operator, kind_key, item_id[:64], action, fields)


def _act(
    request: Request,
    operator: Operator,
    kind_key: str,
    item_id: str,
    action: str,
    fields: dict[str, str],
) -> Response:
    kind = _kind(kind_key)
    test = fields.get("mode") == "test"
    if kind is None:
        return auth.render(request, operator, "not_found.html", 404)
    values = {
        name: fields.get(name, "")[:12_000] for name in (*kind.fields, *TEXT_FIELDS, *STATUS_FIELDS)
    }
    if not auth.form_accepted(request, operator, f"guide_{action}_{item_id}", fields):
        errors = {"": pages.text("page.form_expired", operator.locale)}
        return _item(request, operator, kind, item_id, test, errors=errors, status=403)
    if action not in kind.actions:
        return auth.render(request, operator, "not_found.html", 404)
    tenant = _tenant(operator, test)
    now = request.app.state.clock.now()
    try:
        with pages.unit(request) as session:
            row = _get(session, kind, tenant, item_id)
            before = _out(kind, row, now).model_dump(mode="json")
            if action == "archive":
                row = (onboarding if kind is STEPS else announcements).archive(
                    session, tenant, item_id, now
                )
                done = "archived"
            elif action == "publish":
                row = announcements.publish(session, tenant, item_id, now)
                done = "published"
            else:
                data = _body(kind, values, operator, new=False)
                if isinstance(data, OnboardingStepUpdate):
                    row = onboarding.update(session, tenant, item_id, data, now)
                else:
                    assert isinstance(data, AnnouncementUpdate)
                    row = announcements.update(session, tenant, item_id, data, now)
                done = "saved"
            after = _out(kind, row, now).model_dump(mode="json")
            changes.note(session, before, after)
            audit.record(
                session,
                request,
                operator,
                f"{kind.audited}.{'update' if action == 'save' else action}",
                kind.audited,
                item_id,
                livemode=tenant.livemode,
            )
    except NotFoundError:
        return auth.render(request, operator, "not_found.html", 404)
    except (ValidationError, InvalidError, ConflictError) as error:
        errors = _problems(kind, error, operator.locale)
        if isinstance(error, ConflictError):
            errors = {"": pages.text(f"guides.error.{action}", operator.locale)}
        return _item(
            request, operator, kind, item_id, test, errors=errors, values=values, status=422
        )
    query = f"{'mode=test&' if test else ''}done={done}"
    return RedirectResponse(f"/console/settings/portal/{kind.key}/{item_id}?{query}", 303)
