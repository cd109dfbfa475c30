"""The demo account's public side: its pricing page and portal under /p/norditech/test, with
branding, an onboarding guide, the cancellation reasons and a retention offer, news for its
subscribers, and one subscriber to open the portal as."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from recura.db.models import Account, Customer
from recura.domains.announcements import service as announcements
from recura.domains.announcements.schemas import AnnouncementCreate
from recura.domains.common.tenant import Tenant
from recura.domains.onboarding import service as onboarding
from recura.domains.onboarding.schemas import OnboardingStepCreate
from recura.domains.plans import repository as plans
from recura.domains.portal_sessions import repository as portal_repository

SLUG = "norditech"

GUIDE = [
    (
        "import-contacts",
        "https://norditech.example/ajutor/import",
        ("Import your contacts", "Upload a CSV file or connect **Google Contacts**."),
        ("Importați contactele", "Încărcați un fișier CSV sau conectați **Google Contacts**."),
    ),
    (
        "invite-team",
        "https://norditech.example/ajutor/echipa",
        ("Invite your team", "Each colleague gets their own sign-in; seats are billed monthly."),
        (
            "Invitați-vă echipa",
            "Fiecare coleg primește propriul cont; locurile se facturează lunar.",
        ),
    ),
    (
        "first-pipeline",
        None,
        ("Create your first pipeline", "Drag deals between stages to see your forecast."),
        ("Creați primul pipeline", "Mutați oportunitățile între etape pentru a vedea prognoza."),
    ),
]


def set_up(session: Session, tenant: Tenant, account: Account, now: datetime) -> None:
    plan_ids = {p.code: p.id for p in plans.active(session, tenant)}
    account.slug = SLUG
    account.terms_url = "https://norditech.example/termeni"
    account.privacy_url = "https://norditech.example/confidentialitate"
    account.support_email = "suport@norditech.example"
    account.pricing_highlight_plan_id = plan_ids.get("pro-monthly")
    account.retention_offer = {"kind": "pause", "months": 2}
    account.portal_pause_enabled = True
    for position, (code, link, en, ro) in enumerate(GUIDE, start=1):
        data = OnboardingStepCreate.model_validate(
            {
                "code": code,
                "position": position,
                "link": link,
                "texts": {
                    "en": {"title": en[0], "body": en[1]},
                    "ro": {"title": ro[0], "body": ro[1]},
                },
            }
        )
        onboarding.create(session, tenant, data, now)
    news = AnnouncementCreate.model_validate(
        {
            "texts": {
                "en": {
                    "title": "New: bank sync",
                    "body": "Bank statements now import **every hour**.",
                },
                "ro": {
                    "title": "Nou: sincronizare bancară",
                    "body": "Extrasele bancare se importă acum **din oră în oră**.",
                },
            },
            "statuses": ["active", "trialing"],
            "email": False,
        }
    )
    announcements.publish(session, tenant, announcements.create(session, tenant, news, now).id, now)
    session.flush()


def subscriber(session: Session, tenant: Tenant) -> Customer | None:
    """A demo customer with an email and an active subscription, to open the portal as."""
    return portal_repository.demo_subscriber(session, tenant)
