from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute, in_thread
from recura.db.models import AccountLogo
from recura.domains.accounts import logo, service
from recura.domains.accounts.schemas import AccountOut, AccountUpdate
from recura.domains.common.fields import example

router = APIRouter(
    prefix="/v1/account",
    tags=["account"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 422),
)


@router.get("", response_model=AccountOut, summary="The account the API key belongs to")
def get_account(session: SessionDep, tenant: TenantDep) -> AccountOut:
    return service.account_out(service.get_account(session, tenant.account_id), tenant)


@router.patch("", response_model=AccountOut, summary="Change the account's settings")
def update_account(
    body: AccountUpdate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> AccountOut:
    return service.account_out(service.update_account(session, tenant, body, clock.now()), tenant)


class LogoOut(BaseModel):
    model_config = example(
        {"object": "account_logo", "content_type": "image/png", "sha256": "9f86d08…", "url": "…"}
    )

    object: Literal["account_logo"] = "account_logo"
    content_type: str
    sha256: str
    url: str = Field(description="Where the public pages load it from.")


@router.put(
    "/logo",
    response_model=LogoOut,
    summary="Upload the logo shown on the public pages and emails",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                kind: {"schema": {"type": "string", "format": "binary"}}
                for kind in ("image/png", "image/jpeg", "image/webp")
            },
        }
    },
)
async def put_logo(
    request: Request, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> LogoOut:
    data = await request.body()
    saved = await in_thread(logo.put, session, tenant.account_id, data, clock.now())
    return LogoOut(
        content_type=saved.content_type, sha256=saved.sha256, url=logo_url(request, saved)
    )


@router.delete("/logo", status_code=204, summary="Remove the logo")
def delete_logo(session: SessionDep, tenant: TenantDep) -> None:
    logo.delete(session, tenant.account_id)


def logo_url(request: Request, saved: AccountLogo) -> str:
    base = request.app.state.settings.public_url.rstrip("/")
    return f"{base}/assets/logos/{saved.account_id}/{saved.sha256}"
