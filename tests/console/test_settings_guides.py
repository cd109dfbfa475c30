"""Settings, Portal options: onboarding steps and announcements made, changed, published and
archived from the console through the API's own services, refusals beside their fields, and
each action audited with before and after."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import Merchant
from tests.console.conftest import Operator
from tests.console.test_settings import entries, fields
from tests.portal.conftest import Page

STEPS = "/console/settings/portal/steps"
NEWS = "/console/settings/portal/announcements"


def test_a_step_is_added_changed_and_archived(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    owner: tuple[TestClient, Operator],
) -> None:
    own, _ = owner
    form = fields(Page(own.get(f"{STEPS}?mode=test")), "form-guide-create")
    made = own.post(
        STEPS,
        data={
            **form,
            "code": "connect-bank",
            "position": "10",
            "title_en": "Connect your bank",
            "body_en": "Open **Settings**.",
            "title_ro": "Conectați banca",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    (step,) = merchant.api.ok("GET", "/v1/onboarding_steps")["data"]
    assert step["code"] == "connect-bank"
    assert step["texts"]["ro"]["title"] == "Conectați banca"
    page = Page(own.get(made.headers["location"]))
    assert "Created." in page.text
    changed = own.post(
        f"{STEPS}/{step['id']}/save",
        data={**fields(page, "form-guide"), "position": "20"},
        follow_redirects=False,
    )
    assert changed.status_code == 303, changed.text
    assert merchant.api.ok("GET", f"/v1/onboarding_steps/{step['id']}")["position"] == 20
    (update,) = entries(session_factory, merchant, "onboarding_step.update")
    assert update.changes is not None
    assert update.changes["position"] == {"before": 10, "after": 20}
    archived = own.post(
        f"{STEPS}/{step['id']}/archive",
        data=Page(own.get(f"{STEPS}/{step['id']}?mode=test")).form("form-archive"),
        follow_redirects=False,
    )
    assert archived.status_code == 303
    assert merchant.api.ok("GET", f"/v1/onboarding_steps/{step['id']}")["archived"] is True
    (created,) = entries(session_factory, merchant, "onboarding_step.create")
    assert created.changes is not None
    assert created.changes["code"] == {"before": None, "after": "connect-bank"}
    (gone,) = entries(session_factory, merchant, "onboarding_step.archive")
    assert gone.changes is not None
    assert gone.changes["archived"] == {"before": False, "after": True}


def test_a_step_without_title_or_with_a_taken_code_is_refused_beside_its_field(
    merchant: Merchant, owner: tuple[TestClient, Operator]
) -> None:
    own, _ = owner
    form = fields(Page(own.get(f"{STEPS}?mode=test")), "form-guide-create")
    no_title = own.post(STEPS, data={**form, "code": "first", "body_en": "text only"})
    assert no_title.status_code == 422
    assert Page(no_title).tree.xpath('//*[@id="guide-title-en-error"]')
    first = {**form, "code": "first", "title_en": "First"}
    assert own.post(STEPS, data=first, follow_redirects=False).status_code == 303
    taken = own.post(STEPS, data=first)
    assert taken.status_code == 422
    (error,) = Page(taken).tree.xpath('//*[@id="guide-code-error"]')
    assert "not used by another step" in error.text_content()
    bad_link = own.post(STEPS, data={**first, "code": "second", "link": "ftp://x"})
    assert Page(bad_link).tree.xpath('//*[@id="guide-link-error"]')
    assert len(merchant.api.ok("GET", "/v1/onboarding_steps")["data"]) == 1


def test_an_announcement_is_drafted_published_and_archived(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    owner: tuple[TestClient, Operator],
) -> None:
    own, _ = owner
    form = fields(Page(own.get(f"{NEWS}?mode=test")), "form-guide-create")
    made = own.post(
        NEWS,
        data={
            **form,
            "title_en": "New: bank sync",
            "body_en": "Hourly **now**.",
            "status_active": "on",
            "status_trialing": "on",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    (news,) = merchant.api.ok("GET", "/v1/announcements")["data"]
    assert news["status"] == "draft"
    assert sorted(news["statuses"]) == ["active", "trialing"]
    page = Page(own.get(made.headers["location"]))
    published = own.post(
        f"{NEWS}/{news['id']}/publish", data=page.form("form-publish"), follow_redirects=False
    )
    assert published.status_code == 303
    assert merchant.api.ok("GET", f"/v1/announcements/{news['id']}")["status"] == "published"
    (entry,) = entries(session_factory, merchant, "announcement.publish")
    assert entry.changes is not None
    assert entry.changes["status"] == {"before": "draft", "after": "published"}
    past = own.post(
        f"{NEWS}/{news['id']}/save",
        data={
            **fields(Page(own.get(f"{NEWS}/{news['id']}?mode=test")), "form-guide"),
            "ends_on": "2000-01-01",
        },
    )
    assert past.status_code == 422
    assert Page(past).tree.xpath('//*[@id="guide-ends-on-error"]')
