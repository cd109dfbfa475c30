"""Settings, Email templates: the list says which emails use the account's own version; the
editor saves one through the API's check (a template that does not render is refused beside
its part), reverts it, and previews the text typed, saved or not, with sample values in a
document that runs nothing; each change audited with before and after."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import Merchant
from tests.console.conftest import Operator, signed_in
from tests.console.test_settings import entries, fields
from tests.portal.conftest import Page

EDITOR = "/console/settings/emails/welcome/ro?mode=test"
OWN = {
    "subject": "Bun venit, {{ customer_name }}",
    "html": "<p>Bun venit la {{ account_name }}!</p>",
    "text": "Bun venit la {{ account_name }}!",
}


def test_an_email_is_saved_previewed_and_reverted(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    owner: tuple[TestClient, Operator],
) -> None:
    own, _ = owner
    listing = Page(own.get("/console/settings/emails?mode=test"))
    assert "Welcome" in listing.text
    assert "Recura's version" in listing.text
    form = fields(Page(own.get(EDITOR)), "form-email")
    variables = Page(own.get(EDITOR)).text
    assert "customer_name" in variables or "account_name" in variables
    preview = own.post(EDITOR.replace("/ro?", "/ro/preview?"), data={**form, **OWN})
    assert preview.status_code == 200, preview.text
    assert "sandbox" in preview.headers["content-security-policy"]
    assert "Bun venit la" in preview.text
    done = own.post(EDITOR, data={**form, **OWN}, follow_redirects=False)
    assert done.status_code == 303, done.text
    saved = merchant.api.ok("GET", "/v1/email_templates/welcome/ro")
    assert saved["html"] == OWN["html"]
    assert "Your version" in Page(own.get("/console/settings/emails?mode=test")).text
    (entry,) = entries(session_factory, merchant, "email_template.save")
    assert entry.livemode is False
    assert entry.changes is not None
    assert entry.changes["html"] == {"before": None, "after": OWN["html"]}
    # Preview with nothing typed: Recura's own version.
    recura = own.post(EDITOR.replace("/ro?", "/ro/preview?"), data=form)
    assert recura.status_code == 200
    assert OWN["html"] not in recura.text
    page = Page(own.get(EDITOR))
    reverted = own.post(
        "/console/settings/emails/welcome/ro/revert",
        data=page.form("form-revert"),
        follow_redirects=False,
    )
    assert reverted.status_code == 303
    assert merchant.api.get("/v1/email_templates/welcome/ro").status_code == 404
    (removed,) = entries(session_factory, merchant, "email_template.delete")
    assert removed.changes is not None
    assert removed.changes["subject"] == {"before": OWN["subject"], "after": None}


def test_a_template_that_does_not_render_is_refused_beside_its_part(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    owner: tuple[TestClient, Operator],
) -> None:
    own, _ = owner
    form = fields(Page(own.get(EDITOR)), "form-email")
    broken = {**OWN, "html": "<p>{{ account_name </p>"}
    refused = own.post(EDITOR, data={**form, **broken})
    assert refused.status_code == 422, refused.text
    page = Page(refused)
    (error,) = page.tree.xpath('//*[@id="email-html-error"]')
    assert "Does not render" in error.text_content()
    assert fields(page, "form-email")["html"] == broken["html"]
    empty = own.post(EDITOR, data={**form, **OWN, "subject": ""})
    assert empty.status_code == 422
    assert Page(empty).tree.xpath('//*[@id="email-subject-error"]')
    assert merchant.api.get("/v1/email_templates/welcome/ro").status_code == 404
    assert entries(session_factory, merchant, "email_template.save") == []
    previewed = own.post(EDITOR.replace("/ro?", "/ro/preview?"), data={**form, **broken})
    assert previewed.status_code == 422


def test_finance_previews_but_does_not_save(
    client: TestClient, session_factory: sessionmaker[Session], merchant: Merchant
) -> None:
    own, _ = signed_in(client, session_factory, merchant, "finance")
    page = Page(own.get(EDITOR))
    assert not page.tree.xpath('//button[@id="save"]')
    form = fields(page, "form-email")
    assert own.post(EDITOR.replace("/ro?", "/ro/preview?"), data=form).status_code == 200
    assert own.post(EDITOR, data={**form, **OWN}).status_code == 403
