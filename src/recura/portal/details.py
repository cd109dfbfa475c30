"""The signed-in subscriber's billing details: name, address (a Romanian county and
Bucharest sector as ISO 3166-2 codes), billed as a person (in Romania, with their CNP if
they give it) or a company (legal name, CUI or VAT number, trade-register number),
preferred language — checked by the same rules as the checkout (`checkout.details`,
`customers.billing`) and saved through the customers domain; and changing the email
address, which takes effect only through the link sent to the new address
(`customers.email_change`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pycountry
from babel import Locale
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from recura.domains.accounts import repository as accounts
from recura.domains.checkout import details as checkout_details
from recura.domains.common.errors import InvalidError
from recura.domains.common.languages import SUPPORTED
from recura.domains.customers import billing, email_change
from recura.domains.customers import service as customers
from recura.domains.customers.billing import BillingDetailsInvalid
from recura.domains.customers.schemas import CustomerUpdate
from recura.notifications import links
from recura.portal import pages, signed_in, site
from recura.portal.signed_in import Visitor
from recura.web import language
from recura.web.pages import Frame, language_name

router = APIRouter()
PATH = "/portal/details"
DETAILS_FORM, EMAIL_FORM = "details", "email_change"
ADDRESS_FIELDS = ("line1", "line2", "city", "postal_code", "country", "county", "sector")


def _countries(locale: str) -> list[tuple[str, str]]:
    """Every country a subscriber may live in, by name in the reader's language."""
    names = Locale.parse(locale).territories
    found = [(code, str(names[code])) for code in billing_countries() if code in names]
    return sorted(found, key=lambda item: item[1])


def billing_countries() -> list[str]:
    return [str(c.alpha_2) for c in pycountry.countries]


def _values(visitor: Visitor) -> dict[str, Any]:
    """The form's starting values: what the customer has on record."""
    customer = visitor.customer
    address = customer.address or {}
    values = {
        "name": customer.name or "",
        "kind": customer.kind or "individual",
        "legal_name": customer.legal_name or "",
        "vat_id": customer.vat_id or "",
        "registration_number": customer.registration_number or "",
        "national_id": customer.national_id or "",
        "locale": customer.locale or visitor.locale,
    }
    for name in ADDRESS_FIELDS:
        value = address.get(name)
        values[name] = "" if value is None else str(value)
    values["country"] = values["country"] or customer.country or visitor.account.country
    return values


def _page(
    request: Request,
    visitor: Visitor,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    email: str = "",
    email_error: str | None = None,
    notice: str | None = None,
    done: str | None = None,
    done_values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return pages.PAGES.render(
        request,
        "details.html",
        visitor.frame(),
        status,
        values=values or _values(visitor),
        errors=errors or {},
        current_email=visitor.customer.email or "",
        email=email,
        email_error=email_error,
        notice=notice,
        done=done,
        done_values=done_values or {},
        countries=_countries(visitor.locale),
        counties=billing.counties(),
        sectors=list(billing.SECTORS),
        locales=[(code, language_name(code)) for code in SUPPORTED],
    )


@router.get(PATH)
def show(request: Request) -> Response:
    with pages.unit(request) as session:
        visitor = signed_in.visitor(session, request)
        if visitor is None:
            return signed_in.sign_in_again(session, request)
        return _page(request, visitor)


@router.post(PATH)
async def save(request: Request) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_save, request, fields)


def _submitted(fields: dict[str, str]) -> dict[str, Any]:
    """The form's fields as `checkout.details.validate` reads them (the address nested)."""
    data: dict[str, Any] = {
        name: fields.get(name, "") for name in ("name", "kind", "legal_name", "vat_id")
    }
    data["registration_number"] = fields.get("registration_number", "")
    data["national_id"] = fields.get("national_id", "")
    data["address"] = {name: fields.get(name, "") for name in ADDRESS_FIELDS}
    return data


def _save(request: Request, fields: dict[str, str]) -> Response:
    with pages.unit(request) as session:
        visitor = signed_in.visitor(session, request)
        if visitor is None:
            return signed_in.sign_in_again(session, request)
        typed = {name: fields.get(name, "") for name in _values(visitor)}
        if not signed_in.form_accepted(request, visitor, DETAILS_FORM, fields):
            return _page(request, visitor, values=typed, notice="page.form_expired", status=403)
        locale = fields.get("locale", "")
        errors: dict[str, str] = {}
        if locale not in SUPPORTED:
            errors["locale"] = pages.text("details.locale_invalid", visitor.locale)
        try:
            checked = checkout_details.validate(_submitted(fields), with_email=False)
            if not errors:
                fields_set = checked.customer_update(email=False).model_dump(exclude_unset=True)
                update = CustomerUpdate.model_validate({**fields_set, "locale": locale})
                customers.update(session, visitor.tenant, visitor.customer.id, update, visitor.now)
        except BillingDetailsInvalid as invalid:
            errors.update(_fields(invalid.messages(visitor.locale)))
        except InvalidError as invalid:
            for error in invalid.errors:
                field = error.pointer.lstrip("#/").removeprefix("address/")
                errors[field] = pages.text("details.field_invalid", visitor.locale)
        if errors:
            return _page(request, visitor, values=typed, errors=errors, status=422)
        session.flush()
        # The page speaks the language just chosen.
        chosen = visitor.portal_session.locale or locale
        refreshed = replace(
            visitor, locale=language.choose(request, visitor.account.locale, chosen)
        )
        return _page(request, refreshed, done="details.saved")


def _fields(messages: dict[str, str]) -> dict[str, str]:
    """Pointer-named messages ("address/county") by the form's field names ("county")."""
    return {pointer.removeprefix("address/"): text for pointer, text in messages.items()}


@router.post(PATH + "/email")
async def change_email(request: Request) -> Response:
    fields = await pages.form(request)
    return await run_in_threadpool(_change_email, request, fields)


def _change_email(request: Request, fields: dict[str, str]) -> Response:
    with pages.unit(request) as session:
        visitor = signed_in.visitor(session, request)
        if visitor is None:
            return signed_in.sign_in_again(session, request)
        typed = fields.get("email", "").strip()[:400]
        if not signed_in.form_accepted(request, visitor, EMAIL_FORM, fields):
            return _page(request, visitor, email=typed, notice="page.form_expired", status=403)
        if not request.app.state.limiter.allow("email_change", request, visitor.customer.id):
            return _page(request, visitor, email=typed, notice="details.too_many", status=429)
        try:
            change = email_change.request(
                session, visitor.tenant, visitor.customer, typed, visitor.now
            )
        except BillingDetailsInvalid as invalid:
            message = invalid.messages(visitor.locale).get("email", "")
            return _page(request, visitor, email=typed, email_error=message, status=422)
        return _page(
            request, visitor, done="details.email_sent", done_values={"email": change.email}
        )


@router.get("/portal/email-change/{token}")
def confirm_email(token: str, request: Request) -> Response:
    """The link in the email sent to the new address: it changes the address when the
    customer it names is signed in; anyone else is asked to sign in first."""
    with pages.unit(request) as session:
        now = request.app.state.clock.now()
        try:
            claims = links.verify(request.app.state.secret, token, "email_change", now)
        except links.InvalidToken:
            return pages.invalid(request)
        visitor = signed_in.visitor(session, request)
        same = (
            visitor is not None
            and visitor.tenant.account_id == claims.account_id
            and visitor.tenant.livemode == claims.livemode
            and visitor.customer.id == claims.customer_id
        )
        if visitor is None or not same or claims.object_id is None:
            return _sign_in_first(session, request, claims)
        found = email_change.confirm(
            session, visitor.tenant, visitor.customer, claims.object_id, visitor.now
        )
        if isinstance(found, email_change.Confirmed):
            return _page(
                request, visitor, done="details.email_changed", done_values={"email": found.email}
            )
        return _page(request, visitor, notice=f"details.email_link_{found}", status=410)


def _sign_in_first(session: Session, request: Request, claims: links.Claims) -> Response:
    account = accounts.get_account(session, claims.account_id)
    if account is None:
        return pages.invalid(request)
    root = site.root(account, claims.livemode)
    frame = Frame(
        pages.brand_of(session, account),
        language.choose(request, account.locale),
        test_mode=not claims.livemode,
    )
    return pages.PAGES.render(
        request,
        "email_change_sign_in.html",
        frame,
        sign_in_url=f"{root}/sign-in" if root else None,
    )
