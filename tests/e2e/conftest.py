"""A real browser: Playwright driving Debian's chromium (never a downloaded build).

Without /usr/bin/chromium these tests skip, saying so, unless RECURA_REQUIRE_BROWSER=1 (as
in CI, which installs it), where they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


# Per module, not per session: while Playwright's sync API runs, the thread has an event
# loop running, and tests that start one of their own (asyncio.run) cannot share it.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        reason = f"no browser: {CHROMIUM} is not installed (apt-get install chromium)"
        if os.environ.get("RECURA_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
    yield browser
    browser.close()
