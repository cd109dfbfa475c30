"""An override that would run for minutes or take gigabytes is refused when saved; one that
got in anyway (written straight to the database) fails its email with the reason when it is
sent, is set aside, and the account's later emails go out in Recura's version, while other
accounts' emails go out in the same pass. The render happens with no database connection
in use by the sender."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from recura.clock import FixedClock
from recura.db.models import EmailTemplate
from recura.db.unit_of_work import unit_of_work
from recura.ids import new_id
from recura.jobs.worker import run_once
from recura.notifications import overrides
from recura.notifications.sandbox import Budget
from recura.notifications.sandbox_process import Pool
from recura.notifications.smtp import Mailer
from tests.conftest import T0, Api, Merchant, make_merchant
from tests.notifications.mailbox import Mailbox
from tests.notifications.test_email_delivery import subscribe, write_rows
from tests.notifications.test_email_overrides import PATH, RECEIPT

NESTED_LOOPS = "{% for a in range(1000) %}{% for b in range(1000) %}.{% endfor %}{% endfor %}"
HUGE_STRING = '{{ "x" * 10**9 }}'
HUGE_OUTPUT = '{% for i in range(100) %}{{ customer_name ~ "x" * 99000 }}{% endfor %}'
RUNAWAYS = [
    ("html", NESTED_LOOPS, "more than 100,000 loop iterations and calls"),
    ("text", HUGE_STRING, "a value of 1,000,000,000 characters or items, over the 100,000 limit"),
    ("html", HUGE_OUTPUT, "more than 500,000 characters of output"),
]


@pytest.mark.parametrize(("part", "source", "reason"), RUNAWAYS)
def test_a_runaway_override_is_refused_when_saved(
    api: Api, part: str, source: str, reason: str
) -> None:
    response = api.request("PUT", PATH, json={**RECEIPT, part: source})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    (error,) = response.json()["errors"]
    assert error["pointer"] == f"#/{part}"
    assert error["detail"] == f"exceeds the rendering budget: {reason}"
    api.ok("GET", PATH, 404)


class WatchedPool(Pool):
    """A real renderer pool that notes how many of the engine's connections are checked out
    whenever it renders."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(size=1)
        self.engine = engine
        self.connections_in_use: list[int] = []

    def render(
        self,
        sources: Mapping[str, str],
        values: Mapping[str, Any],
        budget: Budget | None = None,
        deadline: float = 10.0,
    ) -> dict[str, str]:
        self.connections_in_use.append(self.engine.pool.checkedout())  # type: ignore[attr-defined]
        return super().render(sources, values, budget, deadline)


@pytest.fixture
def watched(
    session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> Iterator[WatchedPool]:
    engine = session_factory.kw["bind"]
    pool = WatchedPool(engine)
    monkeypatch.setattr(overrides, "POOL", pool)
    yield pool
    pool.close()


def slip_in(factory: sessionmaker[Session], merchant: Merchant, sources: Mapping[str, str]) -> None:
    """An override saved without the check, as one from before it would be."""
    with unit_of_work(factory) as session:
        session.add(
            EmailTemplate(
                id=new_id("email_template"),
                account_id=merchant.account_id,
                livemode=False,
                template="receipt",
                locale="ro",
                created_at=T0,
                updated_at=T0,
                **sources,
            )
        )


def message(api: Api, customer: str, template: str) -> dict[str, Any]:
    found = api.ok("GET", f"/v1/email_messages?customer={customer}&template={template}")["data"]
    assert len(found) == 1, found
    result: dict[str, Any] = found[0]
    return result


@pytest.mark.parametrize(("part", "source", "reason"), RUNAWAYS)
def test_a_runaway_override_fails_its_email_and_is_set_aside_when_sent(
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
    mailbox: Mailbox,
    mailer: Mailer,
    watched: WatchedPool,
    part: str,
    source: str,
    reason: str,
) -> None:
    other = make_merchant(session_factory, api.client, name=f"Other {uuid.uuid4().hex[:6]} SRL")
    to, elsewhere = (f"{who}-{uuid.uuid4().hex[:8]}@example.ro" for who in ("mine", "other"))
    customer = subscribe(api, to, "ro")
    subscribe(other.api, elsewhere, "ro")
    write_rows(session_factory)
    slip_in(session_factory, merchant, {**RECEIPT, part: source})

    run_once(session_factory, FixedClock(T0), mailer)

    failed = message(api, customer, "receipt")
    assert failed["status"] == "failed"
    said = f"the account's receipt (ro) template in the {part} exceeds the rendering budget: "
    assert failed["last_error"] == f"could not render: {said}{reason}"
    assert mailbox.of("receipt", to) == []
    assert len(mailbox.of("welcome", to)) == 1  # not overridden: sent
    # Another account's receipt went out in the same pass.
    (theirs,) = mailbox.of("receipt", elsewhere)
    assert theirs.message["Subject"].startswith("Chitanță pentru factura")
    # The render ran with none of the sender's connections checked out: no transaction open.
    assert watched.connections_in_use == [0]

    template = api.ok("GET", PATH)
    assert datetime.fromisoformat(template["disabled_at"]) == T0
    assert template["disabled_reason"] == f"{said}{reason}"

    # The account's next receipt goes out in Recura's version, without trying the override.
    later = f"later-{uuid.uuid4().hex[:8]}@example.ro"
    subscribe(api, later, "ro")
    write_rows(session_factory)
    run_once(session_factory, FixedClock(T0), mailer)
    (receipt,) = mailbox.of("receipt", later)
    assert receipt.message["Subject"].startswith("Chitanță pentru factura")
    assert len(watched.connections_in_use) == 1

    # Saved again, through the check, it is back in use.
    saved = api.ok("PUT", PATH, json=RECEIPT)
    assert saved["disabled_at"] is None
    assert saved["disabled_reason"] is None
    again = f"again-{uuid.uuid4().hex[:8]}@example.ro"
    subscribe(api, again, "ro")
    write_rows(session_factory)
    run_once(session_factory, FixedClock(T0), mailer)
    (fixed,) = mailbox.of("receipt", again)
    assert fixed.message["Subject"].startswith("Plată primită: NDT-")
    assert watched.connections_in_use == [0, 0, 0]  # the check's render, then the email's


def test_an_email_waits_for_a_renderer_that_does_not_start_and_its_override_stays(
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
    mailbox: Mailbox,
    mailer: Mailer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    to = f"wait-{uuid.uuid4().hex[:8]}@example.ro"
    customer = subscribe(api, to, "ro")
    write_rows(session_factory)
    slip_in(session_factory, merchant, RECEIPT)
    broken = Pool(size=1, python="/bin/false")  # exits at once: no renderer
    monkeypatch.setattr(overrides, "POOL", broken)
    run_once(session_factory, FixedClock(T0), mailer)

    waiting = message(api, customer, "receipt")
    assert waiting["status"] == "pending"
    assert waiting["last_error"] == "the template renderer did not start"
    assert api.ok("GET", PATH)["disabled_at"] is None  # not the override's fault

    working = Pool(size=1)
    monkeypatch.setattr(overrides, "POOL", working)
    try:
        run_once(session_factory, FixedClock(T0 + timedelta(minutes=2)), mailer)
    finally:
        working.close()
    (receipt,) = mailbox.of("receipt", to)
    assert receipt.message["Subject"].startswith("Plată primită: NDT-")
    assert message(api, customer, "receipt")["status"] == "sent"


def test_an_override_that_fails_with_an_emails_data_is_set_aside_too(
    api: Api,
    merchant: Merchant,
    session_factory: sessionmaker[Session],
    mailbox: Mailbox,
    mailer: Mailer,
) -> None:
    to = f"data-{uuid.uuid4().hex[:8]}@example.ro"
    customer = subscribe(api, to, "ro")
    write_rows(session_factory)
    slip_in(session_factory, merchant, {**RECEIPT, "text": "{{ lines[3].amount }}"})
    run_once(session_factory, FixedClock(T0), mailer)

    reason = (
        "the account's receipt (ro) template in the text does not render: "
        "UndefinedError: list object has no element 3"
    )
    failed = message(api, customer, "receipt")
    assert failed["status"] == "failed"
    assert failed["last_error"] == f"could not render: {reason}"
    assert api.ok("GET", PATH)["disabled_reason"] == reason
    assert mailbox.of("receipt", to) == []
