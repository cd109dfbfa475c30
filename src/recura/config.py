"""Settings from RECURA_* environment variables; a bad or missing one stops the start."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "RECURA_"
DEFAULT_SQLITE = "sqlite:///var/recura.db"


class ConfigError(Exception):
    """Raised with one line per offending environment variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    database_url: str = DEFAULT_SQLITE
    secret_key: SecretStr = Field(min_length=32)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # One in-process worker keeps a single-process install complete; turn it off when
    # standalone `recura worker` processes run.
    embedded_worker: bool = True
    worker_interval_seconds: float = Field(default=5.0, gt=0)
    # At least a day: clients retry across restarts and deploys.
    idempotency_ttl_hours: int = Field(default=24, ge=24)
    # A request holding an Idempotency-Key renews its lease while it runs; one that died
    # (killed, its database gone) stops, and a retry may run once this much has passed.
    idempotency_lease_seconds: float = Field(default=60.0, gt=0)
    log_level: str = "info"
    # How long a server trusts an API key it has just checked without asking the database
    # again: a revoked key is refused everywhere within this time (0: check every request).
    api_key_cache_seconds: float = Field(default=5.0, ge=0, le=60)
    # Webhook endpoints on loopback, private, link-local or reserved addresses are refused
    # (the server would otherwise probe its own network for whoever holds an API key).
    webhooks_allow_private: bool = False
    # How long one webhook send may take in all, however slowly the receiver answers.
    webhooks_deadline_seconds: float = Field(default=15.0, gt=0, le=60)
    # Emails to subscribers: without a host they are recorded (email_messages) but not sent.
    smtp_host: str | None = None
    smtp_port: int | None = Field(default=None, ge=1, le=65535)  # default: by security
    smtp_security: Literal["none", "starttls", "tls"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    # How long sending one email may take in all (the timeout above is per read or write).
    smtp_deadline_seconds: float = Field(default=30.0, gt=0, le=120)
    # The sender when an account has set none of its own.
    email_from: str = "billing@localhost"
    # Where the links in emails point (unsubscribe, update the card, reactivate).
    public_url: str = "http://127.0.0.1:8000"
    # An email that could not go out within this long after it fell due is skipped, not
    # sent late: a server configured after months would otherwise send them all at once.
    email_max_age_hours: int = Field(default=24, ge=1)
    # Finished emails and webhook deliveries (with their attempts) older than this are
    # deleted; those still pending or retrying are kept whatever their age.
    notifications_retention_days: int = Field(default=90, ge=1)
    # Where the card page loads Stripe.js from. Stripe requires its own copy in production;
    # tests point it at a local Stripe-compatible server's.
    stripe_js_url: str = "https://js.stripe.com/v3/"

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if value.startswith("sqlite:///"):
            return value
        for scheme in ("postgresql://", "postgresql+psycopg://", "postgres://"):
            if value.startswith(scheme):
                return "postgresql+psycopg://" + value[len(scheme) :]
        raise ValueError("must start with sqlite:/// or postgresql://")

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.lower() not in {"critical", "error", "warning", "info", "debug"}:
            raise ValueError("must be one of critical, error, warning, info, debug")
        return value.lower()

    def sqlite_path(self) -> Path | None:
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return None


def load_settings() -> Settings:
    """Read the environment, naming each variable that is missing or malformed."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = ENV_PREFIX + str(err["loc"][0]).upper() if err["loc"] else ENV_PREFIX
            reason = "is not set" if err["type"] == "missing" else err["msg"]
            if name == f"{ENV_PREFIX}SECRET_KEY" and err["type"] == "missing":
                reason += (
                    " (at least 32 characters; make one with"
                    " `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
                )
            lines.append(f"{name} {reason}")
        raise ConfigError("; ".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


class ProcessorApiBases(BaseSettings):
    """For tests only: where the processors' API requests go instead of Stripe's and
    PayPal's own servers (a local fake). A connection never names this: its requests carry
    its secrets, so only whoever runs the server may redirect them. Read apart from
    `Settings` because any code that builds a processor needs them, the worker's handlers
    run in tests included, and nothing else of the server's settings."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    stripe_api_base: str | None = None
    paypal_api_base: str | None = None


@lru_cache(maxsize=1)
def processor_api_bases() -> ProcessorApiBases:
    return ProcessorApiBases()


class AnafBases(BaseSettings):
    """Where ANAF's e-Factura requests go: its OAuth2 host and its API host (each with its
    test and production paths). Tests point them at a local fake; a connection never
    names them, for the same reason as `ProcessorApiBases`."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    anaf_oauth_base: str = "https://logincert.anaf.ro"
    anaf_api_base: str = "https://api.anaf.ro"


@lru_cache(maxsize=1)
def anaf_bases() -> AnafBases:
    return AnafBases()


class ViesSettings(BaseSettings):
    """Where VAT numbers are checked: the European Commission's VIES REST API
    (RECURA_VIES_URL; tests point it at a fake on loopback), and how long one check may
    take. Read apart from `Settings` for the reason `ProcessorApiBases` is: the worker's
    handlers need it and nothing else of the server's settings."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    vies_url: str = "https://ec.europa.eu/taxation_customs/vies/rest-api"
    vies_timeout_seconds: float = Field(default=20.0, gt=0, le=120)


@lru_cache(maxsize=1)
def vies_settings() -> ViesSettings:
    return ViesSettings()
