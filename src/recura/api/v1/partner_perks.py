from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from recura.api.deps import ClockDep, SessionDep, TenantDep
from recura.api.pagination import PageDep, list_schema
from recura.api.problems import problem_responses
from recura.api.routing import UnitOfWorkRoute
from recura.domains.partner_perks import pool, service
from recura.domains.partner_perks.schemas import (
    MAX_CODES,
    PartnerPerkCreate,
    PartnerPerkOut,
    PartnerPerkUpdate,
    PartnerPerkWithSecret,
    VoucherUpload,
    VoucherUploadOut,
)

router = APIRouter(
    prefix="/v1/partner_perks",
    tags=["partner perks"],
    route_class=UnitOfWorkRoute,
    responses=problem_responses(401, 404, 409, 422),
)
PerkList = list_schema(PartnerPerkOut)


@router.post(
    "",
    status_code=201,
    response_model=PartnerPerkWithSecret,
    summary="Create a partner perk",
    description="A partner brand's benefit for the subscribers of `plans` and of "
    "subscriptions carrying `add_ons`. A `voucher` perk gives each subscriber one code from "
    "the pool uploaded to `/vouchers`; a `link` perk sends subscribers to `url_template` "
    "with a signed token, its `secret` shown only here and on rotation.",
)
def create_perk(
    body: PartnerPerkCreate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> PartnerPerkWithSecret:
    perk = service.create(session, tenant, body, clock.now())
    return service.with_secret(session, tenant, perk)


@router.get("", response_model=PerkList, summary="List partner perks, newest first")
def list_perks(session: SessionDep, tenant: TenantDep, page: PageDep) -> BaseModel:
    found = service.page(session, tenant, page.limit, page.starting_after)
    return PerkList(data=service.to_out(session, tenant, found.items), has_more=found.has_more)


@router.get(
    "/{id}",
    response_model=PartnerPerkOut,
    summary="Get a partner perk, with its pool of codes counted",
)
def get_perk(id: str, session: SessionDep, tenant: TenantDep) -> PartnerPerkOut:
    return service.to_out(session, tenant, [service.get(session, tenant, id)])[0]


@router.patch(
    "/{id}",
    response_model=PartnerPerkOut,
    summary="Change a partner perk",
    description="Subscribers it now grants who have no code get one, as far as the pool "
    "goes. Its kind does not change.",
)
def update_perk(
    id: str, body: PartnerPerkUpdate, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> PartnerPerkOut:
    perk = service.update(session, tenant, id, body, clock.now())
    return service.to_out(session, tenant, [perk])[0]


@router.post(
    "/{id}/archive",
    response_model=PartnerPerkOut,
    summary="Archive a partner perk",
    description="Subscribers no longer see it and its pool gives no more codes; codes "
    "given stay with their subscribers.",
)
def archive_perk(
    id: str, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> PartnerPerkOut:
    perk = service.archive(session, tenant, id, clock.now())
    return service.to_out(session, tenant, [perk])[0]


@router.post(
    "/{id}/rotate_secret",
    response_model=PartnerPerkWithSecret,
    summary="Replace a link perk's signing secret",
    description="Returns the new secret, the only time it is shown. Links made from now "
    "on are signed with it; the partner verifies with the new secret (and, while it "
    "switches, may accept the previous one too).",
)
def rotate_secret(
    id: str, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> PartnerPerkWithSecret:
    perk = service.rotate_secret(session, tenant, id, clock.now())
    return service.with_secret(session, tenant, perk)


@router.post(
    "/{id}/vouchers",
    response_model=VoucherUploadOut,
    summary="Upload voucher codes to a perk's pool",
    description=f"Up to {MAX_CODES:,} codes a request. Codes already in the pool, or "
    "repeated, are skipped and counted; subscribers waiting for a code get one at once.",
)
def upload_vouchers(
    id: str, body: VoucherUpload, session: SessionDep, tenant: TenantDep, clock: ClockDep
) -> VoucherUploadOut:
    return pool.upload(session, tenant, id, body.codes, clock.now())
