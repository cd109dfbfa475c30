"""Create and change accounts; issue, list, revoke and check API keys (api_keys.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from recura.core import dunning
from recura.db.models import Account, ApiKey
from recura.domains.accounts import api_keys, bank_accounts, repository
from recura.domains.accounts.api_key_schemas import ApiKeyCreate
from recura.domains.accounts.api_keys import IssuedKey, KeyHolder
from recura.domains.accounts.schemas import (
    CLEARABLE,
    AccountCreate,
    AccountOut,
    AccountUpdate,
    MetricSettingsOut,
)
from recura.domains.accounts.scopes import Level, Scope
from recura.domains.audit import changes
from recura.domains.cancellations import reasons
from recura.domains.cancellations import settings as cancellation_settings
from recura.domains.common.errors import ConflictError, NotFoundError
from recura.domains.common.fields import trim_zeros
from recura.domains.common.parties import AddressOut
from recura.domains.common.tenant import Tenant
from recura.domains.customers import billing
from recura.domains.metrics import rollups
from recura.domains.metrics import settings as metric_settings
from recura.domains.plans import repository as plans
from recura.ids import new_id


def create_account(session: Session, data: AccountCreate, now: datetime) -> Account:
    account = Account(
        id=new_id("account"),
        created_at=now,
        updated_at=now,
        billing_alignment="anniversary",
        days_until_due=14,
        catch_up="current_period",
        retry_days=list(dunning.DEFAULT_RETRY_DAYS),
        dunning_final_action="cancel",
        iban=None,
        bic=None,
        **data.model_dump(),
    )
    session.add(account)
    session.flush()
    return account


def get_account(session: Session, account_id: str) -> Account:
    account = repository.get_account(session, account_id)
    if account is None:
        raise NotFoundError("account", account_id)
    return account


def update_account(session: Session, tenant: Tenant, data: AccountUpdate, now: datetime) -> Account:
    account = get_account(session, tenant.account_id)
    # Checked before any change: a query would flush a half-made one.
    if data.slug is not None and repository.slug_taken(session, data.slug, account.id):
        raise ConflictError(f"The slug '{data.slug}' is taken by another account.")
    highlight = data.pricing_highlight_plan_id
    if highlight is not None and plans.get_plan(session, tenant, highlight) is None:
        raise NotFoundError("plan", highlight)
    if data.retention_offer is not None:
        offer = data.retention_offer.model_dump()
        cancellation_settings.check_offer(session, tenant, offer, now)
    given = data.model_dump(exclude_unset=True)
    given.update(_legal_identity(account, given))
    before = changes.snapshot(account, given)
    folded_before = metric_settings.folded_with(account.metric_settings)
    for field, value in given.items():
        if field == "metric_settings":
            if value is not None:
                account.metric_settings = metric_settings.merged(account.metric_settings, value)
            continue
        if value is None and field not in CLEARABLE:
            continue  # every account field is required; null means "leave as is"
        setattr(account, field, value)
    if data.iban is not None:
        bank_accounts.register_iban(session, account.id, data.iban, now)
    account.updated_at = now
    session.flush()
    changes.note(session, before, changes.snapshot(account, given))
    if metric_settings.folded_with(account.metric_settings) != folded_before:
        # The rollups were folded with the old settings: recount this account's history.
        for livemode in (False, True):
            rollups.rebuild(session, Tenant(account.id, livemode))
    return account


def _legal_identity(account: Account, given: dict[str, Any]) -> dict[str, Any]:
    """The legal profile's fields as stored, checked as a customer's are (`customers.billing`):
    the tax number in its compact form, a Romanian trade-register number with ONRC's rules,
    the county and sector of the registered office. Returns the fields to store instead of
    what was sent."""
    address = given.get("address", account.address)
    country = (address or {}).get("country") or given.get("country") or account.country
    found: dict[str, Any] = {}
    problems: list[billing.Problem] = []
    if given.get("vat_id"):
        found["vat_id"], wrong = billing.tax_id(given["vat_id"], country)
        problems += wrong
    if given.get("registration_number"):
        number, wrong = billing.registration_number(given["registration_number"], country)
        found["registration_number"] = number
        problems += wrong
    if given.get("address"):
        problems += billing.check_place(given["address"])
    if given.get("share_capital") is not None and not (
        given.get("share_capital_currency") or account.share_capital_currency
    ):
        found["share_capital_currency"] = given.get("default_currency") or account.default_currency
    billing.raise_if(problems)
    return found


def account_out(account: Account, tenant: Tenant) -> AccountOut:
    return AccountOut(
        id=account.id,
        legal_name=account.legal_name,
        vat_id=account.vat_id,
        registration_number=account.registration_number,
        share_capital=account.share_capital,
        share_capital_currency=account.share_capital_currency,
        address=AddressOut.model_validate(account.address) if account.address else None,
        country=account.country,
        default_currency=account.default_currency,
        timezone=account.timezone,
        locale=account.locale,
        fallback_locale=account.fallback_locale,
        invoice_series_prefix=account.invoice_series_prefix,
        billing_alignment=account.billing_alignment,
        tax_rate=trim_zeros(account.tax_rate),
        tax_inclusive=account.tax_inclusive,
        vat_registered=account.vat_registered,
        oss_registered=account.oss_registered,
        eu_b2c_over_threshold=account.eu_b2c_over_threshold,
        vat_recheck_days=account.vat_recheck_days,
        days_until_due=account.days_until_due,
        catch_up=account.catch_up,
        retry_days=account.retry_days,
        dunning_final_action=account.dunning_final_action,
        iban=account.iban,
        bic=account.bic,
        email_from_name=account.email_from_name,
        email_from_address=account.email_from_address,
        email_reply_to=account.email_reply_to,
        winback_days=account.winback_days,
        invoice_reminder_days=account.invoice_reminder_days,
        slug=account.slug,
        brand_color=account.brand_color,
        terms_url=account.terms_url,
        privacy_url=account.privacy_url,
        pricing_embed_origins=account.pricing_embed_origins,
        pricing_highlight_plan_id=account.pricing_highlight_plan_id,
        support_email=account.support_email,
        cancellation_reasons=reasons.reasons_of(account),
        retention_offer=account.retention_offer,
        portal_pause_enabled=account.portal_pause_enabled,
        portal_downgrade_timing=account.portal_downgrade_timing,
        trial_requires_payment_method=account.trial_requires_payment_method,
        invoice_pdfs=account.invoice_pdfs,
        metric_settings=MetricSettingsOut(**metric_settings.stored(account.metric_settings)),
        livemode=tenant.livemode,
        created_at=account.created_at,
    )


def support_address(account: Account) -> str | None:
    """Where the account's support requests are emailed: its `support_email`, else where
    replies to its emails go, else the address they come from; None when it set none."""
    return account.support_email or account.email_reply_to or account.email_from_address


def issue_key(
    session: Session,
    account_id: str,
    livemode: bool,
    name: str,
    secret: bytes,
    now: datetime,
    *,
    scope: Scope = "full",
    permissions: dict[str, Level] | None = None,
    created_by: str = "cli",
) -> IssuedKey:
    get_account(session, account_id)
    data = ApiKeyCreate(name=name, scope=scope, permissions=permissions or {})
    return api_keys.issue(session, account_id, livemode, data, secret, now, created_by)


def list_keys(session: Session, account_id: str) -> list[ApiKey]:
    get_account(session, account_id)
    return repository.list_keys(session, account_id)


def revoke_key(session: Session, key_id: str, now: datetime) -> ApiKey:
    return api_keys.revoke_by_id(session, key_id, now)


def authenticate(session: Session, token: str, secret: bytes) -> KeyHolder | None:
    """Who a bearer token is, or None for an unknown, revoked or malformed token."""
    return api_keys.authenticate(session, token, secret)
