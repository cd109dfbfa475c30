from __future__ import annotations

from collections.abc import Iterator

import pytest

from recura.notifications.smtp import Mailer, SmtpConfig
from tests.conftest import SECRET
from tests.notifications import mailbox as mailboxes
from tests.notifications.mailbox import Mailbox

PUBLIC_URL = "https://billing.example.ro"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    controller, box = mailboxes.start()
    try:
        yield box
    finally:
        box.released = True
        controller.stop()


@pytest.fixture
def mailer(mailbox: Mailbox) -> Mailer:
    return Mailer(
        smtp=SmtpConfig(mailbox.host, mailbox.port, timeout=5),
        secret=SECRET.encode(),
        public_url=PUBLIC_URL,
        default_from="billing@recura.test",
    )
