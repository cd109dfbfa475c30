"""One audit entry per successful API write, written where the request commits (routing.py),
so it lands in the same transaction as the change, from one place for every endpoint.

What an entry says comes from the route itself: `POST /v1/customers` is `customer.create`,
`PATCH /v1/customers/{id}` `customer.update`, `POST /v1/subscriptions/{id}/cancel`
`subscription.cancel`, `DELETE /v1/webhook_endpoints/{id}` `webhook_endpoint.delete`. The
target's id is the path's, or the created object's. Settings services add what changed
(domains/audit/changes.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from recura.api.deps import request_actor
from recura.domains.audit import service as audit
from recura.domains.common.tenant import Tenant

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# POSTs that compute an answer and save nothing (previews, quotes): nothing to audit.
SAVES_NOTHING = frozenset(
    {
        ("POST", "/v1/plans/{id}/quote"),
        ("POST", "/v1/subscriptions/{id}/preview_change"),
    }
)
# Nested collections a POST adds to (`/customers/{id}/payment_methods`), rather than
# actions on their parent (`/subscriptions/{id}/cancel`).
# Each maps to the kind of object it holds.
SUBCOLLECTIONS = {
    "payment_methods": "payment_method",
    "payment_method_setups": "payment_method_setup",
    "vouchers": "perk_voucher",
}


@dataclass(frozen=True, slots=True)
class AuditSpec:
    action: str
    target_type: str
    # The path parameters that name the target, joined by "/" (email templates take two).
    id_params: tuple[str, ...] = ()
    # The target is the object the answer returns (a create).
    from_result: bool = False
    # The target is the tenant's account itself (`/v1/account`).
    account_target: bool = False


def singular(noun: str) -> str:
    return noun[:-1] if noun.endswith("s") else noun


def spec_for(method: str, path: str) -> AuditSpec | None:
    """What a write route's entries say; None for a read, a preview or a non-API route."""
    if method not in WRITE_METHODS or not path.startswith("/v1/"):
        return None
    if (method, path) in SAVES_NOTHING:
        return None
    segments = [part for part in path.split("/")[2:] if part]
    is_param = [part.startswith("{") for part in segments]
    names = [part[1:-1] if param else part for part, param in zip(segments, is_param, strict=True)]
    last = len(segments) - 1
    if is_param[last]:
        owner = max(i for i in range(last + 1) if not is_param[i])
        verb = "delete" if method == "DELETE" else "update"
        kind = singular(names[owner])
        return AuditSpec(f"{kind}.{verb}", kind, tuple(names[owner + 1 :]))
    if last >= 1 and is_param[last - 1]:
        if names[last] in SUBCOLLECTIONS:
            kind = SUBCOLLECTIONS[names[last]]
            return AuditSpec(f"{kind}.create", kind, from_result=True)
        owner = max(i for i in range(last) if not is_param[i])
        kind = singular(names[owner])
        return AuditSpec(f"{kind}.{names[last]}", kind, tuple(names[owner + 1 : last]))
    if last == 0 and method == "POST":
        kind = singular(names[0])
        return AuditSpec(f"{kind}.create", kind, from_result=True)
    # A resource of its own that the account has one of: /v1/account, /v1/account/logo.
    kind = "_".join(singular(name) for name in names)
    verb = "delete" if method == "DELETE" else "update"
    return AuditSpec(f"{kind}.{verb}", kind, account_target=names[0] == "account")


def record(request: Request, session: Session, result: Any) -> None:
    """The request's entry, once, on `session` before it commits; `result` is what the
    endpoint answered (a model, a dict, JSON text or a Response), for a created object's id."""
    spec: AuditSpec | None = getattr(request.state, "audit_spec", None)
    if spec is None or getattr(request.state, "audited", False):
        return
    request.state.audited = True
    tenant: Tenant = request.state.tenant
    if spec.account_target:
        target_id: str | None = tenant.account_id
    elif spec.from_result:
        target_id = _result_id(result)
    else:
        params = request.path_params
        target_id = "/".join(str(params[name]) for name in spec.id_params) or None
    headers = request.headers
    audit.record(
        session,
        tenant,
        request_actor(request),
        spec.action,
        spec.target_type,
        target_id,
        request.app.state.clock.now(),
        request_id=headers.get("idempotency-key") or headers.get("x-request-id"),
        ip=request.client.host if request.client else None,
    )


def _result_id(result: Any) -> str | None:
    if isinstance(result, BaseModel):
        found = getattr(result, "id", None)
    elif isinstance(result, dict):
        found = result.get("id")
    else:
        body = result.body if isinstance(result, Response) else result
        if not isinstance(body, str | bytes | memoryview) or not body:
            return None
        try:
            parsed = orjson.loads(bytes(body) if isinstance(body, memoryview) else body)
        except orjson.JSONDecodeError:
            return None
        found = parsed.get("id") if isinstance(parsed, dict) else None
    return found if isinstance(found, str) else None
