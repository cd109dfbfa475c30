"""Where the server under test sends the processors' API requests: the server setting
RECURA_STRIPE_API_BASE / RECURA_PAYPAL_API_BASE, set for one test (a pytest plugin).
Outside such a test they point at a closed loopback port (tests/conftest.py), so nothing a
test leaves behind is ever sent beyond this machine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from recura.config import processor_api_bases


class ProcessorApi:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch

    def point(self, gateway: str, base_url: str) -> None:
        """Send `gateway`'s requests to `base_url` from now on (an outage: a dead port)."""
        self._monkeypatch.setenv(f"RECURA_{gateway.upper()}_API_BASE", base_url)
        processor_api_bases.cache_clear()


@pytest.fixture
def processor_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[ProcessorApi]:
    yield ProcessorApi(monkeypatch)
    # Before monkeypatch restores the environment: the next read sees the restored one.
    processor_api_bases.cache_clear()


@pytest.fixture
def stripe_api(processor_api: ProcessorApi, localstripe: str) -> ProcessorApi:
    """The server's Stripe requests go to localstripe."""
    processor_api.point("stripe", localstripe)
    return processor_api
