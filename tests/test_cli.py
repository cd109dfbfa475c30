"""The `recura` command against a real database (both backends)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from recura.api.app import create_app
from recura.cli import app
from recura.config import Settings
from recura.db.models import EmailMessage
from tests.conftest import SECRET
from tests.fakes.camt053 import IBAN, Stmt, credit, document
from tests.own_database import database_url, engine, session_factory

# Each test a database of its own: the demo finds none loaded by another test, and a worker
# run finds only its own test's rows.
__all__ = ["database_url", "engine", "session_factory"]

runner = CliRunner()


@pytest.fixture
def env(database_url: str, engine: Any) -> dict[str, str]:
    return {"RECURA_DATABASE_URL": database_url, "RECURA_SECRET_KEY": SECRET, "COLUMNS": "200"}


def run(env: dict[str, str], *args: str, code: int = 0, input: str | None = None) -> str:
    result = runner.invoke(app, list(args), env=env, input=input)
    assert result.exit_code == code, result.output
    return result.output


def api_for(settings: Settings, engine: Any, token: str) -> Any:
    client = TestClient(create_app(settings, engine=engine))
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def console_sign_in(client: Any, email: str, password: str) -> int:
    page = client.get("/console/sign-in")
    key = re.search(r'name="form_key" value="([^"]+)"', page.text)
    assert key is not None, page.text
    form = {"form_key": key.group(1), "email": email, "password": password}
    return int(client.post("/console/sign-in", data=form, follow_redirects=False).status_code)


def test_users_create_and_list(env: dict[str, str], settings: Settings, engine: Any) -> None:
    run(env, "migrate")
    out = run(
        env,
        "accounts",
        "create",
        "--legal-name",
        "Users SRL",
        "--country",
        "RO",
        "--currency",
        "RON",
    )
    account = re.search(r"acct_\w+", out).group(0)  # type: ignore[union-attr]
    secret = "a long enough passphrase"
    created = run(
        env,
        "users",
        "create",
        "--account",
        account,
        "--email",
        "Ioana@Users.example",
        "--password-stdin",
        input=secret + "\n",
    )
    assert "ioana@users.example, owner" in created
    assert "/console" in created
    # Asked for twice, never echoed.
    prompted = run(
        env,
        "users",
        "create",
        "--account",
        account,
        "--email",
        "dan@users.example",
        "--role",
        "analyst",
        input=f"{secret}\n{secret}\n",
    )
    assert secret not in prompted
    assert "dan@users.example, analyst" in prompted
    short = run(
        env,
        "users",
        "create",
        "--account",
        account,
        "--email",
        "x@users.example",
        "--password-stdin",
        input="short\n",
        code=1,
    )
    assert "at least 12 characters" in short
    taken = run(
        env,
        "users",
        "create",
        "--account",
        account,
        "--email",
        "ioana@users.example",
        "--password-stdin",
        input=secret + "\n",
        code=1,
    )
    assert "already has a user" in taken
    listed = run(env, "users", "list", "--account", account)
    assert "ioana@users.example" in listed
    assert "dan@users.example" in listed
    assert "analyst" in listed
    client = TestClient(create_app(settings, engine=engine))
    assert console_sign_in(client, "ioana@users.example", secret) == 303


def test_accounts_and_keys_lifecycle(env: dict[str, str], settings: Settings, engine: Any) -> None:
    run(env, "migrate")
    out = run(
        env,
        "accounts",
        "create",
        "--legal-name",
        "Cli Test SRL",
        "--country",
        "RO",
        "--currency",
        "RON",
    )
    account = re.search(r"acct_\w+", out).group(0)  # type: ignore[union-attr]
    test_key = re.search(r"rk_test_\w+", out).group(0)  # type: ignore[union-attr]
    assert re.search(r"rk_live_\w+", out)
    client = api_for(settings, engine, test_key)
    assert client.get("/v1/account").json()["legal_name"] == "Cli Test SRL"

    out = run(env, "api-keys", "create", "--account", account, "--name", "ci")
    new_key = re.search(r"rk_test_\w+", out).group(0)  # type: ignore[union-attr]
    key_id = re.search(r"key_\w+", out).group(0)  # type: ignore[union-attr]
    listing = run(env, "api-keys", "list", "--account", account)
    assert key_id in listing
    assert new_key not in listing
    assert new_key[:12] in listing

    run(env, "api-keys", "revoke", key_id)
    assert api_for(settings, engine, new_key).get("/v1/account").status_code == 401
    assert "already revoked" in run(env, "api-keys", "revoke", key_id, code=1)


def test_keys_take_a_scope(env: dict[str, str], settings: Settings, engine: Any) -> None:
    run(env, "migrate")
    out = run(
        env, "accounts", "create", "--legal-name", "Scope SRL", "--country", "RO",
        "--currency", "RON",
    )  # fmt: skip
    account = re.search(r"acct_\w+", out).group(0)  # type: ignore[union-attr]
    out = run(
        env, "api-keys", "create", "--account", account, "--name", "reporter",
        "--scope", "restricted", "--permission", "usage:write", "--permission", "catalog:read",
    )  # fmt: skip
    token = re.search(r"rk_test_\w+", out).group(0)  # type: ignore[union-attr]
    key_id = re.search(r"key_\w+", out).group(0)  # type: ignore[union-attr]
    client = api_for(settings, engine, token)
    assert client.get("/v1/products").status_code == 200
    assert client.get("/v1/customers").status_code == 403
    assert "restricted: catalog:read, usage:write" in run(
        env, "api-keys", "list", "--account", account
    )
    run(env, "api-keys", "revoke", key_id)
    full = re.search(r"rk_test_\w+", run(env, "api-keys", "create", "--account", account)).group(0)  # type: ignore[union-attr]
    log = api_for(settings, engine, full).get("/v1/audit_log", params={"target_id": key_id})
    assert [(e["action"], e["actor"]["label"]) for e in log.json()["data"]] == [
        ("api_key.revoke", "cli"),
        ("api_key.create", "cli"),
    ]

    assert "--scope" in run(
        env, "api-keys", "create", "--account", account, "--scope", "all", code=1
    )
    assert "permission" in run(
        env, "api-keys", "create", "--account", account, "--scope", "restricted", code=1
    )


def test_cli_errors_are_readable(env: dict[str, str]) -> None:
    assert "No API key" in run(env, "api-keys", "revoke", "key_nope", code=1)
    assert "No account" in run(env, "api-keys", "list", "--account", "acct_nope", code=1)
    out = run(
        env,
        "accounts",
        "create",
        "--legal-name",
        "X",
        "--country",
        "XX",
        "--currency",
        "RON",
        code=1,
    )
    assert "country" in out


def create_account(env: dict[str, str], *options: str, code: int = 0) -> str:
    base = ("--legal-name", "Cli Test SRL", "--country", "RO", "--currency", "RON")
    return run(env, "accounts", "create", *base, *options, code=code)


def test_accounts_create_takes_the_vat_rate_as_a_percentage(
    env: dict[str, str], settings: Settings, engine: Any
) -> None:
    out = create_account(env, "--tax-rate", "21.00", "--tax-inclusive", "--vat-registered")
    token = re.search(r"rk_test_\w+", out).group(0)  # type: ignore[union-attr]
    account = api_for(settings, engine, token).get("/v1/account").json()
    assert (account["tax_rate"], account["tax_inclusive"]) == ("21", True)
    assert account["vat_registered"] is True


def test_a_fraction_for_the_vat_rate_is_refused(env: dict[str, str]) -> None:
    out = create_account(env, "--tax-rate", "0.21", code=1)
    assert "Error: --tax-rate: the VAT rate is a percentage: write 21 for 21 %, not 0.21" in out
    assert "Traceback" not in out
    assert "acct_" not in out


def test_errors_about_the_whole_request_do_not_start_with_a_colon(
    env: dict[str, str], tmp_path: Path
) -> None:
    account = re.search(r"acct_\w+", create_account(env)).group(0)  # type: ignore[union-attr]
    statement = tmp_path / "statement.xml"
    statement.write_text("<not-a-statement/>")
    out = run(env, "bank", "import", str(statement), "--account", account, code=1)
    assert out.startswith("Error: not a camt.053 statement"), out


def test_missing_configuration_names_the_variable() -> None:
    result = runner.invoke(app, ["migrate"], env={"RECURA_SECRET_KEY": ""})
    assert result.exit_code == 2
    assert "RECURA_SECRET_KEY" in result.output


def test_worker_once_runs_every_handler(env: dict[str, str]) -> None:
    assert "purge_idempotency_keys" in run(env, "worker", "--once")


def test_demo_loads_once_and_prints_a_working_key(
    env: dict[str, str], settings: Settings, engine: Any
) -> None:
    first = run(env, "demo", "--customers", "20")
    # Progress while it loads, step by step.
    assert re.search(r"Customers .* 20/20", first), first
    assert re.search(r"A year of history .* 12/12", first), first
    token = re.search(r"rk_test_\w+", first).group(0)  # type: ignore[union-attr]
    client = api_for(settings, engine, token)
    plans = client.get("/v1/plans", params={"limit": 100}).json()["data"]
    assert {p["code"] for p in plans} >= {
        "free",
        "starter-monthly",
        "pro-monthly",
        "enterprise-annual",
    }
    demo_customers = client.get("/v1/customers", params={"limit": 100}).json()["data"]
    assert len(demo_customers) == 20
    for c in demo_customers:
        assert datetime.fromisoformat(c["updated_at"]) >= datetime.fromisoformat(c["created_at"])
    by_code = {p["code"]: p["id"] for p in plans}
    quotes = {
        ("starter-monthly", "RON", "1"): 4900,
        ("starter-annual", "EUR", "1"): 9900,
        ("pro-annual", "RON", "3"): 3 * 29000,
        ("enterprise-monthly", "RON", "12"): 10 * 2500 + 2 * 2000,
    }
    for (code, currency, quantity), total in quotes.items():
        body = {"currency": currency, "quantity": quantity}
        q = client.post(f"/v1/plans/{by_code[code]}/quote", json=body).json()
        assert q["total"]["amount"] == total, (code, q)
    # A year of history, lived on a test clock that ends at the present.
    (clock,) = client.get("/v1/test_clocks").json()["data"]
    invoices = client.get("/v1/invoices", params={"limit": 100}).json()["data"]
    assert {i["reason"] for i in invoices} >= {"subscription_create", "subscription_cycle"}
    periods = {i["period_start"][:7] for i in invoices}
    assert len(periods) >= 10, periods
    renewed = client.get("/v1/events", params={"type": "subscription.renewed"}).json()["data"]
    assert renewed
    subs = client.get("/v1/subscriptions", params={"limit": 100}).json()["data"]
    assert all(s["test_clock"] == clock["id"] for s in subs)
    # The year's emails are on record, and none waits for an SMTP server to appear.
    account = re.search(r"acct_\w+", first).group(0)  # type: ignore[union-attr]
    with Session(engine) as session:
        stmt = select(EmailMessage.status, EmailMessage.last_error, func.count()).where(
            EmailMessage.account_id == account
        )
        found = session.execute(stmt.group_by(EmailMessage.status, EmailMessage.last_error))
        by_status = {(status, reason): count for status, reason, count in found}
    assert list(by_status) == [("skipped", "demo history: recorded, never sent")]
    assert by_status[("skipped", "demo history: recorded, never sent")] > 20
    # The public side: the printed pricing page, and a portal link that signs in once.
    pricing = re.search(r"Pricing page \(test mode\): http://[^/]+(/p/\S+)", first)
    assert pricing is not None, first
    page = client.get(pricing.group(1))
    assert page.status_code == 200
    assert "Pro" in page.text
    assert "/test/checkout/plan_" in page.text
    link = re.search(r"http://[^/]+(/portal/session/\S+)", first)
    assert link is not None, first
    opened = client.get(link.group(1), follow_redirects=False)
    assert (opened.status_code, opened.headers["location"]) == (303, "/portal")
    overview = client.get("/portal")
    assert "Abonamente" in overview.text or "Subscriptions" in overview.text
    assert client.get("/v1/onboarding_steps").json()["data"]
    assert client.get("/v1/announcements").json()["data"]
    assert client.get("/v1/account").json()["retention_offer"] == {"kind": "pause", "months": 2}
    # Acquisition and engagement: channels, a year of spend, activity, someone at risk.
    assert all(c["acquisition_channel"] for c in demo_customers)
    spend = client.get("/v1/acquisition_spend", params={"limit": 100}).json()["data"]
    assert len({s["month"] for s in spend}) == 12
    months = client.get("/v1/engagement/active_customers", params={"granularity": "month"})
    assert months.json()["as_of"]["mau"] > 0
    at_risk = client.get("/v1/engagement/at_risk").json()["data"]
    assert any(r["reasons"][-1]["code"] == "activity_fell" for r in at_risk)
    # The year's life: cancellations with their reasons, support answered, the seller's
    # legal profile for the invoices.
    feedback = client.get("/v1/cancellation_feedback", params={"limit": 100}).json()["data"]
    assert feedback
    assert all(f["reason"] for f in feedback)
    support = client.get("/v1/support_requests", params={"limit": 100}).json()["data"]
    assert support
    assert all(r["first_response_at"] for r in support)
    assert client.get("/v1/account").json()["vat_id"] == "RO18547290"
    again = re.search(r"recura portal-link (\S+) (\S+)", first)
    assert again is not None, first
    fresh = run(env, "portal-link", again.group(1), again.group(2))
    assert "/portal/session/" in fresh
    # The console: its address, and an owner who signs in with the printed password.
    assert re.search(r"Operator console: http://[^/]+/console\n", first), first
    password = re.search(r"sign in as owner@norditech.example with the password (\S+)", first)
    assert password is not None, first
    assert console_sign_in(client, "owner@norditech.example", password.group(1)) == 303
    assert "Norditech Software SRL" in client.get("/console").text
    second = run(env, "demo", "--customers", "20")
    assert "already loaded" in second
    fresh = re.search(r"sign in as owner@norditech.example with the password (\S+)", second)
    assert fresh is not None
    assert fresh.group(1) != password.group(1)
    # A new password at each run: the old one, and its sessions, no longer work.
    assert client.get("/console", follow_redirects=False).status_code == 303
    assert console_sign_in(client, "owner@norditech.example", password.group(1)) == 400
    assert console_sign_in(client, "owner@norditech.example", fresh.group(1)) == 303
    token2 = re.search(r"rk_test_\w+", second).group(0)  # type: ignore[union-attr]
    client2 = api_for(settings, engine, token2)
    assert len(client2.get("/v1/customers", params={"limit": 100}).json()["data"]) == 20


def test_bank_import_reports_the_statements_of_other_accounts_as_skipped(
    env: dict[str, str], settings: Settings, engine: Any, tmp_path: Any
) -> None:
    run(env, "migrate")
    out = run(
        env,
        "accounts",
        "create",
        "--legal-name",
        "Bank SRL",
        "--country",
        "RO",
        "--currency",
        "RON",
    )
    account = re.search(r"acct_\w+", out).group(0)  # type: ignore[union-attr]
    test_key = re.search(r"rk_test_\w+", out).group(0)  # type: ignore[union-attr]
    client = api_for(settings, engine, test_key)
    assert client.post("/v1/bank_accounts", json={"iban": IBAN}).status_code == 201
    other = "RO02AAAA1B31007593840001"
    path = tmp_path / "statement.xml"
    path.write_bytes(
        document(
            Stmt((credit("1.00"), credit("2.00", acct_svcr_ref="B")), statement_id="S-MINE"),
            Stmt((credit("3.00"),), statement_id="S-OTHER", iban=other),
        )
    )
    out = run(env, "bank", "import", str(path), "--account", account, "--test")
    assert "Statement S-MINE: 2 entries, 0 matched to invoices." in out
    assert f"Statement S-OTHER skipped: account {other} (RON)" in out


def test_spend_import_is_all_or_nothing_and_exports_back(
    env: dict[str, str], tmp_path: Path
) -> None:
    account = re.search(r"acct_\w+", create_account(env)).group(0)  # type: ignore[union-attr]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "month,channel,currency,amount\n2026-01,google_ads,RON,10\n2026-00,x,RON,1\n"
        "2026-02,x,ABC,1\n2026-02,y,RON,-3\n"
    )
    out = run(env, "spend", "import", str(bad), "--account", account, code=1)
    assert "3 problems; nothing was imported." in out
    assert "line 3, month: '2026-00' is not a month" in out
    assert "line 4, currency: 'ABC' is not a currency" in out
    assert "line 5, amount: '-3' is negative" in out
    assert "Traceback" not in out
    assert run(env, "spend", "export", "--account", account) == (
        "month,channel,currency,amount,note\n"
    )
    good = tmp_path / "good.csv"
    good.write_text("month,channel,currency,amount,note\n2026-01,google_ads,RON,10,\n")
    out = run(env, "spend", "import", str(good), "--account", account)
    assert "Imported 1 rows: 1 new, 0 replaced." in out
    assert run(env, "spend", "export", "--account", account, "--test").count("\n") == 1
    exported = tmp_path / "out.csv"
    run(env, "spend", "export", "--account", account, str(exported))
    assert exported.read_text() == (
        "month,channel,currency,amount,note\n2026-01,google_ads,RON,10.00,\n"
    )
