"""The Team page: who may use the console and with which role. Everyone sees the list;
owners and admins (`users.manage`) add users (who get an email to choose their password),
change roles, send a password reset, and remove users. Only an owner makes or unmakes an
owner, and the account always keeps one."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from recura.console import audit, auth, pages
from recura.console.auth import Operator
from recura.core.permissions import ROLES
from recura.domains.audit import changes
from recura.domains.users import reset
from recura.domains.users import service as users
from recura.domains.users.schemas import UserProblem

router = APIRouter(prefix="/console/team")
DONE = {"added", "role_changed", "removed", "reset_sent"}
VIEW = auth.require("users.read")
MANAGE = auth.require("users.manage")


def _page(
    request: Request,
    operator: Operator,
    *,
    done: str | None = None,
    error: str | None = None,
    status: int = 200,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    with pages.unit(request) as session:
        team = list(users.of_account(session, operator.account.id))
    return auth.render(
        request,
        operator,
        "team.html",
        status,
        team=team,
        roles=ROLES,
        done=done if done in DONE else None,
        error=error,
        values=values or {"email": "", "name": "", "role": "support"},
    )


@router.get("")
def team(request: Request, done: str | None = None, operator: Operator = Depends(VIEW)) -> Response:
    return _page(request, operator, done=done)


@router.post("/add")
async def add(request: Request, operator: Operator = Depends(MANAGE)) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_add, request, operator, fields)


def _add(request: Request, operator: Operator, fields: dict[str, str]) -> Response:
    values = {name: fields.get(name, "")[:320] for name in ("email", "name", "role")}
    if not auth.form_accepted(request, operator, "team_add", fields):
        return _page(request, operator, error="page.form_expired", status=403, values=values)
    now = request.app.state.clock.now()
    try:
        with pages.unit(request) as session:
            me = users.get(session, operator.account.id, operator.user.id)
            assert me is not None
            # Nobody knows this password: the new user chooses theirs through the email.
            added = users.add(
                session,
                me,
                values["email"],
                values["name"],
                values["role"],
                secrets.token_urlsafe(32),
                now,
            )
            reset.send(session, added, now)
            changes.note(session, {}, {"email": added.email, "role": added.role})
            audit.record(session, request, operator, "user.create", "user", added.id)
    except UserProblem as problem:
        return _page(request, operator, error=f"problem.{problem.key}", status=422, values=values)
    return RedirectResponse("/console/team?done=added", status_code=303)


@router.post("/{user_id}/role")
async def role(user_id: str, request: Request, operator: Operator = Depends(MANAGE)) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_act, request, operator, fields, user_id, "role")


@router.post("/{user_id}/remove")
async def remove(user_id: str, request: Request, operator: Operator = Depends(MANAGE)) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_act, request, operator, fields, user_id, "remove")


@router.post("/{user_id}/reset")
async def send_reset(
    user_id: str, request: Request, operator: Operator = Depends(MANAGE)
) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_act, request, operator, fields, user_id, "reset")


def _act(
    request: Request, operator: Operator, fields: dict[str, str], user_id: str, action: str
) -> Response:
    if not auth.form_accepted(request, operator, f"team_{action}_{user_id}", fields):
        return _page(request, operator, error="page.form_expired", status=403)
    now = request.app.state.clock.now()
    try:
        with pages.unit(request) as session:
            me = users.get(session, operator.account.id, operator.user.id)
            assert me is not None
            target = users.get(session, operator.account.id, user_id)
            if target is None:
                raise UserProblem("not_allowed")
            before = {"email": target.email, "role": target.role}
            if action == "role":
                users.change_role(session, me, user_id, fields.get("role", ""), now)
                changes.note(session, before, {"email": target.email, "role": target.role})
                done, audited = "role_changed", "user.role_change"
            elif action == "remove":
                users.remove(session, me, user_id)
                changes.note(session, before, {})
                done, audited = "removed", "user.remove"
            else:
                reset.send(session, target, now)
                done, audited = "reset_sent", "user.password_reset_send"
            audit.record(session, request, operator, audited, "user", user_id)
    except UserProblem as problem:
        return _page(request, operator, error=f"problem.{problem.key}", status=422)
    return RedirectResponse(f"/console/team?done={done}", status_code=303)
