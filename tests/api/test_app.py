import gc

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from recura.api.app import GC_THRESHOLD, create_app
from recura.config import Settings


def test_serving_collects_garbage_less_often(settings: Settings, engine: Engine) -> None:
    gc.set_threshold(700, 10, 10)
    with TestClient(create_app(settings, engine=engine)):
        assert gc.get_threshold() == (GC_THRESHOLD, 10, 10)
