"""localstripe, started once per test session (and xdist worker) on a loopback port.

A pytest plugin (registered in tests/conftest.py), so the gateway tests and the end-to-end
stories share one server process and one definition of its fixtures.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe

from recura.config import processor_api_bases
from tests.waiting import PATIENCE

API_KEY = "sk_test_recura"
WEBHOOK_SECRET = "whsec_test_recura"
_BASE = "RECURA_STRIPE_API_BASE"
# Runs localstripe's app on 127.0.0.1 with the gaps to real Stripe filled (see its docstring).
_SERVER = Path(__file__).parents[1] / "gateways" / "localstripe_server.py"


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
            raise RuntimeError(f"localstripe did not answer within {PATIENCE:.0f} s")
        time.sleep(0.1)


@pytest.fixture(scope="session")
def localstripe() -> Iterator[str]:
    """The base URL of a fresh localstripe."""
    process = subprocess.Popen([sys.executable, str(_SERVER)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        _wait_until_answering(port, process, time.monotonic() + PATIENCE)
        url = f"http://127.0.0.1:{port}"
        # Stripe connections that earlier tests left behind are reached here too while it
        # runs, answered at once, when the worker's handlers of a later test go over them:
        # at a closed port every call would wait out the SDK's retries.
        before = os.environ.get(_BASE)
        os.environ[_BASE] = url
        processor_api_bases.cache_clear()
        yield url
        if before is None:
            os.environ.pop(_BASE, None)
        else:
            os.environ[_BASE] = before
        processor_api_bases.cache_clear()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def stripe_client(localstripe: str) -> stripe.StripeClient:
    """For what the subscriber's browser does through Stripe.js, and for checking results."""
    return stripe.StripeClient(API_KEY, base_addresses={"api": localstripe})
