"""The account's settings pages: each form saves through the service `PATCH /v1/account`
uses, so the API reads back what the page saved; a refused value is named next to its field
in the operator's language; each save leaves an `account.update` audit entry with the
changed fields before and after; roles without `settings.write` only read."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recura.console.settings_forms import FORMS
from recura.db.models import AuditEntry
from recura.db.unit_of_work import unit_of_work
from tests.conftest import Merchant
from tests.console.conftest import Operator, add_user, browser, sign_in, signed_in
from tests.portal.conftest import Page


def entries(factory: sessionmaker[Session], merchant: Merchant, action: str) -> list[AuditEntry]:
    with unit_of_work(factory) as session:
        stmt = (
            select(AuditEntry)
            .where(AuditEntry.account_id == merchant.account_id, AuditEntry.action == action)
            .order_by(AuditEntry.id)
        )
        found = list(session.scalars(stmt))
        session.expunge_all()
    return found


def fields(page: Page, form_id: str = "form-settings") -> dict[str, str]:
    """What a browser sends: inputs (checked boxes only), selects and text areas."""
    (form,) = page.tree.xpath(f'//form[@id="{form_id}"]')
    sent: dict[str, str] = {}
    for element in form.xpath(".//input|.//select|.//textarea"):
        name = element.get("name")
        if not name or element.get("type") == "submit":
            continue
        if element.get("type") == "checkbox":
            if element.get("checked") is not None:
                sent[name] = "on"
        elif element.tag == "select":
            chosen = element.xpath("./option[@selected]") or element.xpath("./option")[:1]
            sent[name] = chosen[0].get("value") if chosen else ""
        elif element.tag == "textarea":
            sent[name] = element.text or ""
        else:
            sent[name] = element.get("value") or ""
    return sent


def save(own: TestClient, name: str, **changed: Any) -> Any:
    sent = fields(Page(own.get(f"/console/settings/{name}")))
    for field, value in changed.items():
        key = field.replace("__", ".")
        if value is None:
            sent.pop(key, None)
        else:
            sent[key] = value
    return own.post(f"/console/settings/{name}", data=sent, follow_redirects=False)


def field_error(page: Page, field: str) -> str:
    element_id = "f-" + field.replace(".", "-").replace("_", "-") + "-error"
    (found,) = page.tree.xpath(f'//*[@id="{element_id}"]')
    return " ".join(found.text_content().split())


def test_every_settings_page_shows_for_finance_read_only(
    client: TestClient, session_factory: sessionmaker[Session], merchant: Merchant
) -> None:
    own, _ = signed_in(client, session_factory, merchant, "finance")
    index = Page(own.get("/console/settings"))
    assert "Legal data" in index.text
    for name in FORMS:
        page = Page(own.get(f"/console/settings/{name}"))
        assert page.response.status_code == 200
        assert not page.tree.xpath("//form[@id='form-settings']//button")
        refused = own.post(f"/console/settings/{name}", data=fields(page))
        assert refused.status_code == 403


def test_the_legal_profile_saves_as_the_api_reads_it_and_is_audited(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    owner: tuple[TestClient, Operator],
) -> None:
    own, operator = owner
    done = save(
        own,
        "legal",
        legal_name="Norditech Software SRL",
        vat_id="RO 18547290",
        registration_number="J12/3456/2019",
        share_capital="200.00",
        share_capital_currency="RON",
        address__line1="Str. Memorandumului 28",
        address__city="Cluj-Napoca",
        address__postal_code="400114",
        address__county="RO-CJ",
        address__country="RO",
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/console/settings/legal?done=saved"
    account = merchant.api.ok("GET", "/v1/account")
    assert account["legal_name"] == "Norditech Software SRL"
    assert account["vat_id"] == "RO18547290"
    assert account["share_capital"] == 20000
    assert account["address"]["county"] == "RO-CJ"
    (entry,) = entries(session_factory, merchant, "account.update")
    assert (entry.actor_kind, entry.actor_id) == ("user", operator.user_id)
    assert entry.changes is not None
    assert entry.changes["vat_id"] == {"before": None, "after": "RO18547290"}
    assert entry.changes["share_capital"] == {"before": None, "after": 20000}
    # Shown back as saved.
    again = Page(own.get("/console/settings/legal?done=saved"))
    assert "Saved." in again.text
    assert fields(again)["share_capital"] == "200.00"
    assert fields(again)["address.county"] == "RO-CJ"


def test_a_wrong_cui_and_a_bucharest_address_without_sector_are_named_in_romanian(
    client: TestClient, session_factory: sessionmaker[Session], merchant: Merchant
) -> None:
    operator = add_user(session_factory, merchant, "owner", locale="ro")
    own = browser(client)
    sign_in(own, operator.email)
    refused = save(
        own,
        "legal",
        vat_id="RO18547291",
        address__line1="Bd. Unirii 1",
        address__city="București",
        address__county="RO-B",
        address__country="RO",
    )
    assert refused.status_code == 422
    page = Page(refused)
    assert "nu este valid" in field_error(page, "vat_id")
    assert "Alegeți sectorul" in field_error(page, "address.sector")
    assert fields(page)["vat_id"] == "RO18547291"  # what was typed stays
    assert entries(session_factory, merchant, "account.update") == []
    assert merchant.api.ok("GET", "/v1/account")["vat_id"] is None


@pytest.mark.parametrize(
    ("page", "field", "value", "message"),
    [
        ("vat", "tax_rate", "0.21", "write 21 for 21 %"),
        ("vat", "tax_rate", "abc", "Write a number"),
        ("invoicing", "days_until_due", "400", "at most 365"),
        ("invoicing", "retry_days", "5, 3", "Days must increase"),
        ("invoicing", "invoice_series_prefix", "ab c", "Capital letters"),
        ("invoicing", "invoice_series_prefix", "", "Fill this in"),
        ("branding", "brand_color", "#ffff00", "dark enough"),
        ("branding", "slug", "p", "reserved word"),
        ("branding", "terms_url", "http://norditech.ro", "https://"),
        ("branding", "pricing_embed_origins", "ftp://x", "origin"),
        ("portal", "cancellation_reasons", "price | Too much", "Line 1"),
        ("portal", "retention_offer.months", "7", "at most 3"),
    ],
)
def test_each_refusal_is_said_next_to_its_field(
    merchant: Merchant,
    owner: tuple[TestClient, Operator],
    page: str,
    field: str,
    value: str,
    message: str,
) -> None:
    own, _ = owner
    extra = {"retention_offer.kind": "pause"} if field.startswith("retention_offer") else {}
    sent = {field.replace(".", "__"): value, **{k.replace(".", "__"): v for k, v in extra.items()}}
    refused = save(own, page, **sent)
    assert refused.status_code == 422, refused.text
    assert message in field_error(Page(refused), field)


def test_vat_invoicing_branding_and_portal_save_and_audit_before_and_after(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    owner: tuple[TestClient, Operator],
) -> None:
    own, _ = owner
    before = merchant.api.ok("GET", "/v1/account")
    assert save(own, "vat", vat_registered="on", tax_rate="9.5").status_code == 303
    assert (
        save(
            own,
            "invoicing",
            invoice_series_prefix="NDT",
            days_until_due="30",
            billing_alignment="calendar",
            retry_days="2, 4, 8",
            dunning_final_action="mark_unpaid",
            invoice_reminder_days="3",
            winback_days="",
        ).status_code
        == 303
    )
    assert (
        save(
            own,
            "branding",
            slug="norditech-settings",
            brand_color="#1d4ed8",
            terms_url="https://norditech.ro/termeni",
            pricing_embed_origins="https://norditech.ro\nhttps://shop.norditech.ro",
        ).status_code
        == 303
    )
    assert (
        save(
            own,
            "portal",
            portal_pause_enabled="on",
            portal_downgrade_timing="now",
            cancellation_reasons="price | Too expensive | Prea scump\nother | Other | Altul",
            retention_offer__kind="pause",
            retention_offer__months="2",
        ).status_code
        == 303
    )
    account = merchant.api.ok("GET", "/v1/account")
    assert account["vat_registered"] is True
    assert account["tax_rate"] == "9.5"
    assert account["retry_days"] == [2, 4, 8]
    assert account["billing_alignment"] == "calendar"
    assert account["invoice_reminder_days"] == 3
    assert account["pricing_embed_origins"] == [
        "https://norditech.ro",
        "https://shop.norditech.ro",
    ]
    assert account["retention_offer"] == {"kind": "pause", "months": 2}
    assert [r["code"] for r in account["cancellation_reasons"]] == ["price", "other"]
    assert account["portal_pause_enabled"] is True
    vat, invoicing, branding, portal = entries(session_factory, merchant, "account.update")
    assert vat.changes == {
        "tax_rate": {"before": before["tax_rate"], "after": "9.5"},
        "vat_registered": {"before": False, "after": True},
    }
    assert invoicing.changes is not None
    assert invoicing.changes["retry_days"] == {"before": before["retry_days"], "after": [2, 4, 8]}
    assert branding.changes is not None
    assert branding.changes["slug"] == {"before": before["slug"], "after": "norditech-settings"}
    assert portal.changes is not None
    assert portal.changes["retention_offer"] == {
        "before": None,
        "after": {"kind": "pause", "months": 2},
    }
    # Saving again unchanged changes nothing and the entry says so.
    assert save(own, "vat").status_code == 303
    assert entries(session_factory, merchant, "account.update")[-1].changes is None


def test_a_stale_form_is_refused(owner: tuple[TestClient, Operator]) -> None:
    own, _ = owner
    refused = own.post("/console/settings/vat", data={"form_key": "x", "tax_rate": "5"})
    assert refused.status_code == 403
    assert "expired" in Page(refused).text or "expirat" in Page(refused).text


PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def test_bank_accounts_are_added_and_removed_per_mode_and_audited(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    owner: tuple[TestClient, Operator],
) -> None:
    own, _ = owner
    page = Page(own.get("/console/settings/legal"))
    form = page.form("form-bank-add")
    added = own.post(
        "/console/settings/legal/bank-accounts",
        data={**form, "bank_iban": "RO49 AAAA 1B31 0075 9384 0000", "mode": "test"},
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    (bank,) = merchant.api.ok("GET", "/v1/bank_accounts")["data"]
    assert bank["iban"] == "RO49AAAA1B31007593840000"
    again = own.post(
        "/console/settings/legal/bank-accounts",
        data={**form, "bank_iban": "RO49AAAA1B31007593840000", "mode": "test"},
    )
    assert again.status_code == 409
    assert "registered already" in Page(again).text
    wrong = own.post("/console/settings/legal/bank-accounts", data={**form, "bank_iban": "RO-?"})
    assert wrong.status_code == 422
    assert "letters and digits" in Page(wrong).tree.xpath('//*[@id="bank-error"]')[0].text
    listed = Page(own.get("/console/settings/legal"))
    assert "RO49AAAA1B31007593840000" in listed.text
    removed = own.post(
        f"/console/settings/legal/bank-accounts/{bank['id']}/delete",
        data=listed.form(f"form-bank-delete-{bank['id']}"),
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert merchant.api.ok("GET", "/v1/bank_accounts")["data"] == []
    (made,) = entries(session_factory, merchant, "bank_account.create")
    assert made.livemode is False
    assert made.changes == {"iban": {"before": None, "after": "RO49AAAA1B31007593840000"}}
    (gone,) = entries(session_factory, merchant, "bank_account.delete")
    assert gone.changes == {"iban": {"before": "RO49AAAA1B31007593840000", "after": None}}


def test_a_logo_is_uploaded_refused_when_not_an_image_and_removed(
    session_factory: sessionmaker[Session],
    merchant: Merchant,
    owner: tuple[TestClient, Operator],
) -> None:
    own, _ = owner
    form = Page(own.get("/console/settings/legal")).form("form-logo")
    form.pop("logo", None)
    refused = own.post(
        "/console/settings/legal/logo",
        data=form,
        files={"logo": ("logo.svg", b"<svg onload='x()'/>", "image/png")},
    )
    assert refused.status_code == 422
    assert "PNG, JPEG or WebP" in Page(refused).text
    saved = own.post(
        "/console/settings/legal/logo",
        data=form,
        files={"logo": ("logo.png", PNG, "image/png")},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    page = Page(own.get("/console/settings/legal"))
    (image,) = page.tree.xpath('//img[@class="logo-preview"]')
    assert own.get(image.get("src")).content == PNG
    (entry,) = entries(session_factory, merchant, "account.logo_update")
    assert entry.changes is not None
    assert entry.changes["logo_sha256"]["before"] is None
    removed = own.post(
        "/console/settings/legal/logo/delete",
        data=page.form("form-logo-delete"),
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert not Page(own.get("/console/settings/legal")).tree.xpath('//img[@class="logo-preview"]')
    assert len(entries(session_factory, merchant, "account.logo_delete")) == 1


@pytest.mark.parametrize("locale", ["en", "ro"])
def test_every_settings_page_renders_in_the_operators_language(
    client: TestClient, session_factory: sessionmaker[Session], merchant: Merchant, locale: str
) -> None:
    """A text missing from a catalog fails its page; every page renders in en and ro."""
    operator = add_user(session_factory, merchant, "owner", locale=locale)
    own = browser(client)
    sign_in(own, operator.email)
    endpoint = merchant.api.ok(
        "POST", "/v1/webhook_endpoints", 201, json={"url": "http://127.0.0.1:9/h"}
    )
    paths = [
        "/console/settings",
        *(f"/console/settings/{name}" for name in FORMS),
        "/console/settings/processors?mode=test",
        "/console/settings/webhooks?mode=test",
        f"/console/settings/webhooks/{endpoint['id']}",
        "/console/settings/emails?mode=test",
        "/console/settings/emails/receipt/ro?mode=test",
        "/console/settings/portal/steps?mode=test",
        "/console/settings/portal/announcements?mode=test",
    ]
    for path in paths:
        page = Page(own.get(path))
        assert page.response.status_code == 200, path
        assert f'<html lang="{locale}"' in page.response.text
        assert ("Setări" in page.text) == (locale == "ro"), path
