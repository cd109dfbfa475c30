from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from recura.domains.common.fields import example

ActorKind = Literal["user", "api_key", "system", "subscriber"]


class ActorOut(BaseModel):
    model_config = example(
        {
            "kind": "api_key",
            "id": "key_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "label": "backend (rk_live_…a1b2)",
        }
    )

    kind: ActorKind
    id: str | None
    label: str


class AuditEntryOut(BaseModel):
    model_config = example(
        {
            "object": "audit_entry",
            "id": "aud_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "occurred_at": "2026-02-01T09:30:00Z",
            "actor": {
                "kind": "api_key",
                "id": "key_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
                "label": "backend (rk_live_…a1b2)",
            },
            "action": "account.update",
            "target_type": "account",
            "target_id": "acct_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "request_id": "order-4711",
            "ip": "203.0.113.7",
            "changes": {"days_until_due": {"before": 14, "after": 30}},
            "livemode": True,
        }
    )

    object: Literal["audit_entry"] = "audit_entry"
    id: str
    occurred_at: datetime
    actor: ActorOut
    action: str
    target_type: str
    target_id: str | None
    request_id: str | None
    ip: str | None
    changes: dict[str, Any] | None
    livemode: bool
