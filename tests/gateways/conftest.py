"""Gateways aimed at localstripe (its server and client fixtures: tests/fakes/localstripe.py)
or at the loopback servers that say what localstripe cannot."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from recura.gateways.stripe import StripeGateway
from tests.fakes.localstripe import API_KEY, WEBHOOK_SECRET

from .canned import CannedStripe, canned_stripe, silent_listener


@pytest.fixture
def gateway(localstripe: str) -> StripeGateway:
    return StripeGateway(API_KEY, WEBHOOK_SECRET, api_base=localstripe, timeout_seconds=10)


@pytest.fixture
def make_gateway() -> Callable[..., StripeGateway]:
    """A gateway aimed elsewhere: the canned or silent servers, or with other credentials."""

    def make(api_base: str, timeout_seconds: float = 10, api_key: str = API_KEY) -> StripeGateway:
        return StripeGateway(api_key, WEBHOOK_SECRET, api_base, timeout_seconds)

    return make


@pytest.fixture
def canned() -> Iterator[CannedStripe]:
    with canned_stripe() as server:
        yield server


@pytest.fixture
def silent_url() -> Iterator[str]:
    with silent_listener() as url:
        yield url
