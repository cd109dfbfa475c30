from __future__ import annotations

from typing import Any

import pytest
from tests.api.test_gateway_webhooks import Shop
from tests.conftest import Merchant
from tests.fakes.processor_api import ProcessorApi


@pytest.fixture
def shop(
    merchant: Merchant, localstripe: str, session_factory: Any, stripe_api: ProcessorApi
) -> Shop:
    """A merchant on Stripe (localstripe), with a customer paying by card."""
    return Shop(merchant, localstripe, session_factory, stripe_api)
