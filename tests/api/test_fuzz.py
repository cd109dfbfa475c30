from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from recura.api.app import create_app
from recura.config import Settings
from tests.conftest import SECRET, Merchant
from fastapi.testclient import TestClient

_app = create_app(Settings(database_url="sqlite:///:memory:", secret_key=SECRET))
schema = schemathesis.openapi.from_dict(_app.openapi())


@schema.parametrize()
@settings(max_examples=10, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_fuzz(case, client: TestClient, merchant: Merchant) -> None:
    case.call_and_validate(app=client.app, headers=merchant.api.headers)
