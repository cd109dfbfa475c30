from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from recura.domains.accounts.scopes import FAMILIES, Level, Scope
from recura.domains.common.fields import Schema, example, example_in, one_line

KeyName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(one_line),
]
_FAMILIES = ", ".join(f"`{family}`" for family in FAMILIES)


class ApiKeyCreate(Schema):
    model_config = example_in(
        {"name": "backend", "scope": "full"},
        {
            "name": "usage reporter",
            "scope": "restricted",
            "permissions": {"usage": "write", "entitlements": "read"},
        },
    )

    name: KeyName
    scope: Scope = Field(
        default="full",
        description="`full`: everything; `read_only`: every GET; `restricted`: `permissions`.",
    )
    permissions: dict[str, Level] = Field(
        default_factory=dict,
        max_length=32,
        description=f"For a restricted key: resource family → `read` or `write` "
        f"(writing implies reading). Families: {_FAMILIES}. Only full keys write `api_keys`.",
    )


class ApiKeyOut(BaseModel):
    model_config = example(
        {
            "object": "api_key",
            "id": "key_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "name": "usage reporter",
            "redacted": "rk_live_…a1b2",
            "scope": "restricted",
            "permissions": {"usage": "write", "entitlements": "read"},
            "created_by": "backend (rk_live_…9f3c)",
            "created_at": "2026-02-01T09:30:00Z",
            "last_used_at": "2026-02-03T11:02:00Z",
            "revoked_at": None,
            "livemode": True,
            "secret": None,
        }
    )

    object: Literal["api_key"] = "api_key"
    id: str
    name: str
    redacted: str = Field(description="The key's mode prefix and last four characters.")
    scope: Scope
    permissions: dict[str, Level]
    created_by: str
    created_at: datetime
    last_used_at: datetime | None = Field(description="Up to a minute behind the last use.")
    revoked_at: datetime | None
    livemode: bool
    secret: str | None = Field(
        description="The key itself: only in the answer that creates it, never again."
    )
