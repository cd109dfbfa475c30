from __future__ import annotations

import pytest

from recura.config import ConfigError, load_settings

GOOD = "k" * 40


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("RECURA_DATABASE_URL", "RECURA_SECRET_KEY", "RECURA_PORT", "RECURA_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECURA_SECRET_KEY", GOOD)
    settings = load_settings()
    assert settings.database_url == "sqlite:///var/recura.db"
    assert settings.idempotency_ttl_hours == 24
    assert settings.port == 8000


def test_postgres_urls_use_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECURA_SECRET_KEY", GOOD)
    monkeypatch.setenv("RECURA_DATABASE_URL", "postgresql://u@db/recura")
    assert load_settings().database_url == "postgresql+psycopg://u@db/recura"


@pytest.mark.parametrize(
    ("env", "named", "says"),
    [
        ({}, "RECURA_SECRET_KEY", "is not set"),
        ({"RECURA_SECRET_KEY": "short"}, "RECURA_SECRET_KEY", "32"),
        (
            {"RECURA_SECRET_KEY": GOOD, "RECURA_DATABASE_URL": "mysql://x"},
            "RECURA_DATABASE_URL",
            "sqlite",
        ),
        ({"RECURA_SECRET_KEY": GOOD, "RECURA_PORT": "eighty"}, "RECURA_PORT", "integer"),
        ({"RECURA_SECRET_KEY": GOOD, "RECURA_LOG_LEVEL": "loud"}, "RECURA_LOG_LEVEL", "one of"),
    ],
)
def test_bad_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], named: str, says: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert named in str(err.value)
    assert says in str(err.value)
