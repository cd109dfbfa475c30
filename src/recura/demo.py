"""Demo data: a Romanian SaaS with a real-shaped catalog, about 200 customers and a year of
billing history (demo_history.py).

Loading twice does not duplicate anything: the second run finds the account and only issues
a fresh API key (keys are shown once, so the old one cannot be printed again).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from stdnum.ro import cui

from recura import demo_engagement, demo_history, demo_site
from recura.domains.accounts import repository as accounts_repository
from recura.domains.accounts import service as accounts
from recura.domains.accounts.schemas import AccountCreate, AccountUpdate
from recura.domains.add_ons import service as add_ons
from recura.domains.add_ons.schemas import AddOnCreate
from recura.domains.billable_metrics import service as metrics
from recura.domains.billable_metrics.schemas import BillableMetricCreate
from recura.domains.common.parties import Address
from recura.domains.common.tenant import Tenant
from recura.domains.coupons import service as coupons
from recura.domains.coupons.schemas import CouponCreate, PromotionCodeCreate
from recura.domains.customers import service as customers
from recura.domains.customers.schemas import CustomerCreate
from recura.domains.features import service as features
from recura.domains.features.schemas import FeatureCreate
from recura.domains.payments import methods
from recura.domains.plans import service as plans
from recura.domains.plans.schemas import PlanCreate
from recura.domains.products import service as products
from recura.domains.products.schemas import ProductCreate
from recura.domains.users import repository as users_repository
from recura.domains.users import service as users
from recura.notifications import emails, outbox

LEGAL_NAME = "Norditech Software SRL"
OWNER_EMAIL = "owner@norditech.example"
SEED = 20260115

FIRST = [
    "Andrei",
    "Ana",
    "Mihai",
    "Ioana",
    "Alexandru",
    "Maria",
    "Ștefan",
    "Elena",
    "Radu",
    "Cristina",
    "Bogdan",
    "Andreea",
    "Vlad",
    "Alina",
    "Cătălin",
    "Irina",
    "Sorin",
    "Diana",
]
LAST = [
    "Popescu",
    "Ionescu",
    "Popa",
    "Dumitru",
    "Stan",
    "Stoica",
    "Gheorghe",
    "Rusu",
    "Munteanu",
    "Matei",
    "Constantin",
    "Șerban",
    "Moldovan",
    "Lazăr",
    "Ciobanu",
    "Florea",
    "Nistor",
]
CITIES = [
    ("București", "B", "010011"),
    ("Cluj-Napoca", "CJ", "400001"),
    ("Iași", "IS", "700001"),
    ("Timișoara", "TM", "300001"),
    ("Brașov", "BV", "500001"),
    ("Constanța", "CT", "900001"),
    ("Oradea", "BH", "410001"),
    ("Sibiu", "SB", "550001"),
]
STREETS = [
    "Str. Memorandumului",
    "Bd. Unirii",
    "Str. Lăpușneanu",
    "Calea Victoriei",
    "Str. Republicii",
    "Bd. Eroilor",
    "Str. Mihai Viteazu",
]
COMPANY_WORDS = ["Tech", "Soft", "Data", "Cloud", "Digital", "Logic", "Media", "Grup"]
FOREIGN = [
    ("DE", "Berlin", "de"),
    ("FR", "Lyon", "fr"),
    ("IT", "Milano", "it"),
    ("AT", "Wien", "de"),
    ("NL", "Utrecht", "nl"),
    ("ES", "Valencia", "es"),
]


CUSTOMERS_STEP = "Customers"
# Told how far each step of loading has come: (step, done, total).
Progress = Callable[[str, int, int], None]


def _quiet(step: str, done: int, total: int) -> None:
    pass


@dataclass(frozen=True, slots=True)
class DemoResult:
    account_id: str
    legal_name: str
    token: str
    created: bool
    customers: int
    plans: int
    slug: str | None
    # A subscriber to open the portal as.
    portal_customer: str | None
    # The console's owner and a password made for this run (printed once).
    owner_email: str = OWNER_EMAIL
    owner_password: str = ""


def _console_owner(session: Session, account_id: str, now: datetime) -> str:
    """The demo's console owner, with a new password each run (as the API key is new): the
    one printed is the one that works."""
    password = "demo-" + secrets.token_urlsafe(12)
    found = users_repository.by_email(session, account_id, OWNER_EMAIL)
    if found is None:
        users.create(session, account_id, OWNER_EMAIL, "Ioana Marin", "owner", password, now)
    else:
        users.set_password(session, found, password, now)
    return password


def load_demo(
    session: Session,
    secret: bytes,
    now: datetime,
    customers: int = 200,
    progress: Progress = _quiet,
) -> DemoResult:
    account = accounts_repository.by_legal_name(session, LEGAL_NAME)
    created = account is None
    if account is None:
        account = accounts.create_account(
            session,
            AccountCreate(
                legal_name=LEGAL_NAME,
                country="RO",
                default_currency="RON",
                timezone="Europe/Bucharest",
                locale="ro",
                invoice_series_prefix="NDT",
            ),
            now,
        )
        accounts.update_account(
            session,
            Tenant(account.id, livemode=False),
            AccountUpdate(
                vat_id="RO18547290",
                registration_number="J12/3456/2019",
                share_capital=20000,
                address=Address(
                    line1="Str. Memorandumului 28",
                    city="Cluj-Napoca",
                    postal_code="400114",
                    county="RO-CJ",
                    country="RO",
                ),
            ),
            now,
        )
    tenant = Tenant(account.id, livemode=False)
    plan_count = 0
    if created:
        plan_count = _catalog(session, tenant, now)
        demo_clock = demo_history.clock(session, tenant, now)
        # The customers join on the demo's clock, a year back, as they would have.
        _customers(session, tenant, demo_clock.frozen_time, customers, demo_clock.id, progress)
        demo_history.live_a_year(session, tenant, demo_clock, now, progress)
        demo_engagement.spend(session, tenant, now)
        demo_engagement.activity(session, tenant, demo_clock.id, now)
        _emails_kept_as_history(session, tenant, now)
        demo_site.set_up(session, tenant, account, now)
    issued = accounts.issue_key(session, account.id, False, "demo", secret, now)
    owner_password = _console_owner(session, account.id, now)
    return DemoResult(
        account_id=account.id,
        legal_name=account.legal_name,
        token=issued.token,
        created=created,
        customers=customers if created else 0,
        plans=plan_count,
        slug=account.slug,
        portal_customer=who.id if (who := demo_site.subscriber(session, tenant)) else None,
        owner_password=owner_password,
    )


def _emails_kept_as_history(session: Session, tenant: Tenant, now: datetime) -> None:
    """The year's emails are recorded, to be listed, but never sent: their customers are
    made up, and an SMTP server configured later must not mail them a year of receipts.
    Emails the demo's clock calls for once it is advanced go out as any others."""
    while outbox.dispatch(session, now):
        pass
    emails.set_aside(session, tenant, now, "demo history: recorded, never sent")


def _catalog(session: Session, tenant: Tenant, now: datetime) -> int:
    crm = products.create(
        session,
        tenant,
        ProductCreate(name="Norditech CRM", description="CRM pentru echipe mici"),
        now,
    )
    calls = metrics.create(
        session,
        tenant,
        BillableMetricCreate(code="api_calls", name="API calls", aggregation="count"),
        now,
    )

    def feature(code: str, name: str, kind: str, metric: str | None = None) -> str:
        data = FeatureCreate(code=code, name=name, kind=kind, billable_metric=metric)
        return features.create(session, tenant, data, now).id

    projects = feature("projects", "Projects", "limit")
    sso = feature("sso", "Single sign-on", "boolean")
    api = feature("api_calls", "API calls", "metered", calls.id)
    storage = feature("storage_gb", "Storage (GB)", "limit")

    api_charge = {
        "billable_metric": calls.id,
        "pricing_model": "tiered_graduated",
        "prices": [
            {
                "currency": "RON",
                "tiers": [
                    {"up_to": "10000", "unit_amount": "0"},
                    {"up_to": None, "unit_amount": "0.5"},
                ],
            },
            {
                "currency": "EUR",
                "tiers": [
                    {"up_to": "10000", "unit_amount": "0"},
                    {"up_to": None, "unit_amount": "0.1"},
                ],
            },
        ],
    }
    enterprise_tiers = {
        "RON": [("10", "2500"), ("50", "2000"), (None, "1500")],
        "EUR": [("10", "500"), ("50", "400"), (None, "300")],
    }

    def tiers(currency: str) -> list[dict[str, Any]]:
        return [{"up_to": up, "unit_amount": amount} for up, amount in enterprise_tiers[currency]]

    def grants(**values: Any) -> list[dict[str, Any]]:
        ids = {"projects": projects, "sso": sso, "api_calls": api, "storage_gb": storage}
        return [{"feature": ids[k], "value": v} for k, v in values.items()]

    pro_features = grants(projects=50, sso=True, api_calls=None, storage_gb=100)
    unlimited = grants(projects=None, sso=True, api_calls=None, storage_gb=None)
    monthly: list[dict[str, Any]] = [
        {
            "code": "starter",
            "name": "Starter",
            "pricing_model": "flat",
            "prices": [{"currency": "RON", "amount": 4900}, {"currency": "EUR", "amount": 990}],
            "features": grants(projects=5, api_calls=10000, storage_gb=10),
        },
        {
            "code": "pro",
            "name": "Pro",
            "pricing_model": "per_unit",
            "trial_days": 14,
            "prices": [
                {"currency": "RON", "unit_amount": "2900"},
                {"currency": "EUR", "unit_amount": "590"},
            ],
            "min_quantity": "1",
            "max_quantity": "500",
            "charges": [api_charge],
            "features": pro_features,
        },
        {
            "code": "enterprise",
            "name": "Enterprise",
            "pricing_model": "tiered_graduated",
            "prices": [{"currency": c, "tiers": tiers(c)} for c in ("RON", "EUR")],
            "setup_fees": [
                {"amount": 100000, "currency": "RON"},
                {"amount": 20000, "currency": "EUR"},
            ],
            "min_quantity": "5",
            "charges": [api_charge],
            "features": unlimited,
        },
    ]
    free = {
        "code": "free",
        "name": "Free",
        "pricing_model": "free",
        "features": grants(projects=1, api_calls=1000, storage_gb=1),
    }
    catalog = [free]
    for plan in monthly:
        catalog.append({**plan, "code": f"{plan['code']}-monthly"})
        catalog.append(_annual(plan))
    created = {}
    for item in catalog:
        data = PlanCreate.model_validate({"product": crm.id, **item})
        created[item["code"]] = plans.create(session, tenant, data, now)
    add_ons.create(
        session,
        tenant,
        AddOnCreate.model_validate(
            {
                "code": "extra-storage",
                "name": "Extra storage (100 GB)",
                "pricing_model": "per_unit",
                "prices": [
                    {"currency": "RON", "unit_amount": "1500"},
                    {"currency": "EUR", "unit_amount": "300"},
                ],
                "features": [{"feature": storage, "value": 100}],
            }
        ),
        now,
    )
    launch = coupons.create_coupon(
        session,
        tenant,
        CouponCreate.model_validate(
            {
                "code": "launch-20",
                "name": "Lansare: 20% reducere 3 luni",
                "percent_off": 20,
                "duration": "repeating",
                "duration_in_periods": 3,
                "max_redemptions": 500,
                "applies_to_plans": [created["starter-monthly"].id, created["pro-monthly"].id],
            }
        ),
        now,
    )
    coupons.create_promotion(
        session,
        tenant,
        PromotionCodeCreate.model_validate(
            {"code": "PARTNER-ACME", "coupon": launch.id, "metadata": {"partner": "acme"}}
        ),
        now,
    )
    return len(created)


def _annual(plan: dict[str, Any]) -> dict[str, Any]:
    """The yearly variant of a monthly plan: ten months' price for twelve."""

    def times_ten(price: dict[str, Any]) -> dict[str, Any]:
        scaled = dict(price)
        if "amount" in price:
            scaled["amount"] = price["amount"] * 10
        if "unit_amount" in price:
            scaled["unit_amount"] = str(int(price["unit_amount"]) * 10)
        if "tiers" in price:
            scaled["tiers"] = [
                {**tier, "unit_amount": str(int(tier["unit_amount"]) * 10)}
                for tier in price["tiers"]
            ]
        return scaled

    return {
        **plan,
        "code": f"{plan['code']}-annual",
        "name": f"{plan['name']} (annual)",
        "interval_unit": "year",
        "prices": [times_ten(price) for price in plan["prices"]],
    }


def _ro_company_vat(rng: random.Random) -> str:
    body = str(rng.randint(1_000_000, 99_999_999))
    return "RO" + body + cui.calc_check_digit(body)


# The sandbox card each demo customer pays with: most succeed, a few decline and go
# through dunning, as in any real customer base.
CARDS = {
    "tok_sandbox_visa": 70,
    "tok_sandbox_mastercard": 24,
    "tok_sandbox_insufficient_funds": 3,
    "tok_sandbox_expired_card": 2,
    "tok_sandbox_declined": 1,
}


def _customers(
    session: Session, tenant: Tenant, now: datetime, count: int, clock_id: str, progress: Progress
) -> None:
    rng = random.Random(SEED)
    # Its own sequence, so the customers stay the same whatever cards they get.
    cards = random.Random(SEED + 1)
    channels = random.Random(SEED + 2)
    for index in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        is_company = rng.random() < 0.35
        local = rng.random() < 0.8
        if local:
            city, region, postal = rng.choice(CITIES)
            country, currency, locale = "RO", "RON", "ro" if rng.random() < 0.85 else "en"
        else:
            country, city, locale = rng.choice(FOREIGN)
            region, postal, currency = None, f"{rng.randint(10000, 99999)}", "EUR"
        name = f"{first} {last}"
        if is_company:
            name = (
                f"{last} {rng.choice(COMPANY_WORDS)} SRL"
                if local
                else f"{last} {rng.choice(COMPANY_WORDS)}"
            )
        channel, utm = demo_engagement.acquisition(channels)
        slug = (first + "." + last).lower()
        for ro, ascii_ in (("ă", "a"), ("â", "a"), ("î", "i"), ("ș", "s"), ("ț", "t"), ("ş", "s")):
            slug = slug.replace(ro, ascii_)
        customer = customers.create(
            session,
            tenant,
            CustomerCreate.model_validate(
                {
                    "external_id": f"user-{1000 + index}",
                    "email": f"{slug}{index}@example.ro" if local else f"{slug}{index}@example.eu",
                    "name": name,
                    "country": country,
                    "locale": locale,
                    "currency": currency,
                    "vat_id": _ro_company_vat(rng) if is_company and local else None,
                    "address": {
                        "line1": f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
                        "city": city,
                        "postal_code": postal,
                        "region": region,
                        "country": country,
                    },
                    "metadata": {"source": rng.choice(["organic", "partner", "ads", "referral"])},
                    "acquisition_channel": channel,
                    "acquisition": utm or None,
                    "test_clock": clock_id,
                }
            ),
            now,
        )
        card = cards.choices(list(CARDS), weights=list(CARDS.values()))[0]
        methods.attach(session, tenant, customer.id, "sandbox", card, True, now)
        progress(CUSTOMERS_STEP, index + 1, count)
