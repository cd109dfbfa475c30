"""The month-start benchmark's own checks: its receivers verify and count what arrives, it
names what is missing or duplicated, and a small storm runs to the end on PostgreSQL."""

from __future__ import annotations

import os
import smtplib
import sys
from collections import Counter
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook

from recura.domains.webhook_endpoints.service import new_secret

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))
import month_start  # noqa: E402 (after the path)
from common import free_port  # noqa: E402
from month_start import due_instant, problems  # noqa: E402
from sinks import Tally, smtp_sink, webhook_receiver  # noqa: E402


def test_the_webhook_receiver_verifies_signatures_and_counts_each_event_id() -> None:
    secret, port = new_secret(), free_port()
    sink = webhook_receiver(port, secret)
    body = '{"type": "invoice.paid"}'
    url = f"http://127.0.0.1:{port}/hooks"
    try:
        at = datetime.now(UTC).replace(microsecond=0)
        headers = {
            "webhook-id": "evt_1",
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(secret).sign("evt_1", at, body),
        }
        assert httpx.post(url, content=body, headers=headers).status_code == 200
        assert httpx.post(url, content=body, headers=headers).status_code == 200
        forged = {**headers, "webhook-id": "evt_2"}  # signed for another id
        assert httpx.post(url, content=body, headers=forged).status_code == 401
        assert sink.accepted.value == 2
    finally:
        tally = sink.close()
    assert tally.received == Counter({"evt_1": 2})
    assert (tally.duplicates, tally.refused) == (1, 1)


def test_the_smtp_sink_counts_each_message_id() -> None:
    port = free_port()
    sink = smtp_sink(port)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            for message_id in ("<a@recura.test>", "<a@recura.test>", "<b@recura.test>"):
                message = EmailMessage()
                message["From"], message["To"] = "billing@recura.test", "c0@example.test"
                message["Message-ID"], message["Subject"] = message_id, "Receipt"
                message.set_content("Paid.")
                smtp.send_message(message)
    finally:
        tally = sink.close()
    assert tally.received == Counter({"<a@recura.test>": 2, "<b@recura.test>": 1})
    assert tally.duplicates == 1


def test_a_missing_or_repeated_event_or_receipt_is_named() -> None:
    hooks = Tally(Counter({"evt_1": 1, "evt_2": 1}), 0)
    mail = Tally(Counter({"<a>": 1, "<b>": 1}), 0)
    assert problems(2, {"evt_1", "evt_2"}, 2, 2, hooks, mail) == []
    assert problems(2, {"evt_1", "evt_2", "evt_3"}, 2, 2, hooks, mail) == [
        "webhooks: 1 events never arrived, 0 arrived that are not in the database"
    ]
    twice = Tally(Counter({"evt_1": 2, "evt_2": 1}), 1)
    assert problems(2, {"evt_1", "evt_2"}, 2, 2, twice, mail) == [
        "webhooks: 1 events arrived more than once",
        "webhooks: 1 requests whose signature did not verify",
    ]
    resent = Tally(Counter({"<a>": 2, "<b>": 1}), 0)
    assert problems(2, {"evt_1", "evt_2"}, 2, 2, hooks, resent) == [
        "emails: 1 messages arrived more than once"
    ]
    assert problems(3, {"evt_1", "evt_2"}, 2, 2, hooks, mail) == [
        "emails: 2 receipts written for 3 renewals",
        "emails: 2 arrived, 2 sent, 3 receipts due",
    ]


def test_the_storm_falls_on_the_month_start_that_has_passed() -> None:
    now = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    assert due_instant(now) == datetime(2026, 12, 1, tzinfo=UTC)
    assert due_instant(datetime(2027, 1, 1, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)


@pytest.mark.postgres
def test_a_small_storm_is_invoiced_charged_announced_and_receipted_once(
    testrun_uid: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The script's `main` in this process, which has imported it already: its receivers and
    # billing processes are spawned, and a spawned process imports the parent's script
    # again (seconds of imports each) unless, as here, the parent is not one.
    argv = [
        "month_start.py",
        "--subscriptions=10",
        "--interval=0.5",
        "--timeout=600",
        f"--database=recura_test_month_start_{testrun_uid}",
    ]
    monkeypatch.setattr(sys, "argv", argv)
    try:
        month_start.main()
        code: object = 0
    except SystemExit as exit:
        code = exit.code
    said = capsys.readouterr()
    assert code in (0, None), said.out + said.err
    assert "end to end: all of it" in said.out
    assert "FAILED" not in said.out


def test_the_cpu_a_process_used_is_read_and_a_gone_one_used_none() -> None:
    from common import cpu_seconds

    assert sum(i * i for i in range(200_000)) > 0  # some CPU of this process's own
    assert cpu_seconds(os.getpid()) > 0
    assert cpu_seconds(2**22 + 1) == 0.0  # above the kernel's largest pid: never a process
