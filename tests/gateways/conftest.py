"""localstripe, started once per test session (and xdist worker) on a loopback port."""

from __future__ import annotations

import http.client
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import stripe

from recura.gateways.stripe import StripeGateway

from .canned import CannedStripe, canned_stripe, silent_listener

API_KEY = "sk_test_recura"
WEBHOOK_SECRET = "whsec_test_recura"
_SERVER = Path(__file__).with_name("localstripe_server.py")


def _wait_until_answering(port: int, process: subprocess.Popen[str], deadline: float) -> None:
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"localstripe exited with {process.returncode}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        try:
            connection.request(
                "GET", "/v1/customers", headers={"Authorization": f"Bearer {API_KEY}"}
            )
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        if time.monotonic() > deadline:
            raise RuntimeError("localstripe did not answer in time")
        time.sleep(0.1)


@pytest.fixture(scope="session")
def localstripe() -> Iterator[str]:
    """The base URL of a fresh localstripe."""
    process = subprocess.Popen([sys.executable, str(_SERVER)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        _wait_until_answering(port, process, time.monotonic() + 30)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def gateway(localstripe: str) -> StripeGateway:
    return StripeGateway(API_KEY, WEBHOOK_SECRET, api_base=localstripe, timeout_seconds=10)


@pytest.fixture
def make_gateway() -> Callable[..., StripeGateway]:
    """A gateway aimed elsewhere: the canned or silent servers, or with other credentials."""

    def make(api_base: str, timeout_seconds: float = 10, api_key: str = API_KEY) -> StripeGateway:
        return StripeGateway(api_key, WEBHOOK_SECRET, api_base, timeout_seconds)

    return make


@pytest.fixture(scope="session")
def stripe_client(localstripe: str) -> stripe.StripeClient:
    """For what the subscriber's browser does through Stripe.js, and for checking results."""
    return stripe.StripeClient(API_KEY, base_addresses={"api": localstripe})


@pytest.fixture
def canned() -> Iterator[CannedStripe]:
    with canned_stripe() as server:
        yield server


@pytest.fixture
def silent_url() -> Iterator[str]:
    with silent_listener() as url:
        yield url
