"""Exchange rates on both backends: the BNR file and CSV imported, the rate of a weekend
read from Friday's, corrections replace, another mode's rates are not seen; the API and
the `recura rates import` command."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from recura.cli import app
from recura.core.exchange import NoRateError
from recura.core.money import Money
from recura.db.models import ExchangeRate
from recura.db.unit_of_work import unit_of_work
from recura.domains.common.errors import InvalidError
from recura.domains.common.tenant import Tenant
from recura.domains.exchange_rates import files, service
from tests.conftest import SECRET, T0, Api, Merchant

BNR = (Path(__file__).parent / "nbrfxrates.xml").read_bytes()
FRI, SAT, SUN = date(2026, 1, 9), date(2026, 1, 10), date(2026, 1, 11)
CSV = b"date,base,quote,rate,note\n2026-01-08,EUR,RON,5.0850,thursday\n2026-01-12,EUR,RON,5.0901,\n"


def test_the_bnr_file_reads_as_rates_into_ron() -> None:
    rates = {r.base: r for r in files.parse_bnr(BNR)}
    assert len(rates) == 28  # BGN (withdrawn), XAU and XDR are not billing currencies
    assert {r.quote for r in rates.values()} == {"RON"}
    assert rates["EUR"].rate == Decimal("5.0865")
    assert rates["EUR"].day == FRI
    assert rates["HUF"].rate == Decimal("0.013170")  # multiplier 100
    assert rates["JPY"].rate == Decimal("0.027655")
    assert not {"BGN", "XAU", "XDR"} & set(rates)


def test_a_year_file_holds_a_cube_per_day() -> None:
    cube = BNR[BNR.index(b"<Cube") : BNR.index(b"</Cube>") + 7]
    thursday = cube.replace(b"2026-01-09", b"2026-01-08").replace(b"5.0865", b"5.0850")
    year = BNR.replace(cube, thursday + cube)
    days = {(r.day, r.rate) for r in files.parse_bnr(year) if r.base == "EUR"}
    assert days == {(date(2026, 1, 8), Decimal("5.0850")), (FRI, Decimal("5.0865"))}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'<!DOCTYPE x [<!ENTITY e "x">]><DataSet xmlns="http://www.bnr.ro/xsd"/>', "DTD"),
        (b"<DataSet><Body/></DataSet>", "not a National Bank"),
        (BNR.replace(b">5.0865<", b">cinci<"), "2026-01-09 EUR: not a decimal"),
        (BNR.replace(b'multiplier="100">1.3170', b'multiplier="0">1.3170'), "multiplier"),
        (b"<DataSet", "not well-formed"),
    ],
)
def test_a_wrong_bnr_file_says_what_is_wrong(data: bytes, message: str) -> None:
    with pytest.raises(files.RateFileError, match=message):
        files.parse_bnr(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"date,base,rate\n", "lacks quote"),
        (b"date,base,quote,rate\n2026-01-09,EUR,XXX,1\n", "line 2: 'XXX' is not a currency"),
        (b"date,base,quote,rate\n2026-01-09,EUR,RON,-1\n", "line 2: a rate must be positive"),
        (b"date,base,quote,rate\n2026-13-09,EUR,RON,1\n", "line 2: not a date"),
        (b"date,base,quote,rate\n2026-01-09,EUR,EUR,1\n", "same currency"),
        (b"date,base,quote,rate\n", "no rates"),
    ],
)
def test_a_wrong_csv_says_which_line(data: bytes, message: str) -> None:
    with pytest.raises(files.RateFileError, match=re.escape(message)):
        files.parse_csv(data)


def test_imported_rates_give_the_rate_of_any_day(merchant: Merchant, session_factory: Any) -> None:
    tenant = Tenant(merchant.account_id, livemode=True)
    with unit_of_work(session_factory) as session:
        assert service.import_file(session, tenant, BNR, T0) == 28
        assert service.import_file(session, tenant, CSV, T0) == 2
    with unit_of_work(session_factory) as session:
        assert service.rate_on(session, tenant, SAT, "EUR", "RON").rate == Decimal("5.0865")
        assert service.rate_on(session, tenant, SUN, "EUR", "RON").day == FRI
        assert service.rate_on(session, tenant, date(2026, 1, 12), "EUR", "RON").rate == Decimal(
            "5.0901"
        )
        # 100.00 EUR on Sunday: Friday's 5.0865
        assert service.convert(session, tenant, Money(10000, "EUR"), "RON", SUN) == Money(
            50865, "RON"
        )
        assert service.convert(session, tenant, Money(50865, "RON"), "EUR", SUN) == Money(
            10000, "EUR"
        )
        # USD to EUR through RON: 100 * 4.3447 / 5.0865 = 85.4163 EUR
        assert service.convert(session, tenant, Money(10000, "USD"), "EUR", SAT) == Money(
            8542, "EUR"
        )
        assert service.rate_on(session, tenant, SAT, "USD", "EUR").rate == Decimal("0.8541629804")
        with pytest.raises(NoRateError):
            service.convert(session, tenant, Money(100, "EUR"), "RON", date(2026, 1, 7))
        test_mode = Tenant(merchant.account_id, livemode=False)
        with pytest.raises(NoRateError):
            service.convert(session, test_mode, Money(100, "EUR"), "RON", SAT)


def test_importing_again_replaces_rather_than_adds(
    merchant: Merchant, session_factory: Any
) -> None:
    tenant = Tenant(merchant.account_id, livemode=False)
    with unit_of_work(session_factory) as session:
        service.import_file(session, tenant, BNR, T0)
    with unit_of_work(session_factory) as session:
        service.import_file(session, tenant, BNR.replace(b">5.0865<", b">5.0866<"), T0)
    with unit_of_work(session_factory) as session:
        stored = select(func.count()).select_from(ExchangeRate)
        assert session.scalar(stored.where(ExchangeRate.account_id == merchant.account_id)) == 28
        assert service.rate_on(session, tenant, FRI, "EUR", "RON").rate == Decimal("5.0866")
        with pytest.raises(InvalidError, match="no rates"):
            service.import_file(session, tenant, b"date,base,quote,rate\n", T0)


def test_the_api_records_and_reads_rates(api: Api) -> None:
    body = {"date": "2026-01-09", "base": "EUR", "quote": "RON", "rate": "5.0865"}
    created = api.ok("POST", "/v1/exchange_rates", 201, json=body)
    assert created["id"].startswith("fx_")
    assert (created["rate"], created["source"]) == ("5.0865", "api")
    again = api.ok("POST", "/v1/exchange_rates", 201, json={**body, "rate": "5.0870"})
    assert again["id"] == created["id"]
    assert again["rate"] == "5.0870"
    found = api.ok(
        "GET", "/v1/exchange_rates", params={"date": "2026-01-11", "base": "EUR", "quote": "RON"}
    )
    assert [(r["date"], r["rate"]) for r in found["data"]] == [("2026-01-09", "5.0870")]
    inverse = api.ok(
        "GET", "/v1/exchange_rates", params={"date": "2026-01-11", "base": "RON", "quote": "EUR"}
    )["data"][0]
    assert (inverse["source"], inverse["rate"]) == ("derived", "0.1965795164")
    assert len(api.ok("GET", "/v1/exchange_rates")["data"]) == 1


def test_the_api_refuses_wrong_rates_with_pointers(api: Api) -> None:
    bad = {"date": "2026-01-09", "base": "EUR", "quote": "ZZZ", "rate": "0"}
    problem = api.post("/v1/exchange_rates", json=bad)
    assert problem.status_code == 422
    assert problem.headers["content-type"].startswith("application/problem+json")
    pointers = {e["pointer"] for e in problem.json()["errors"]}
    assert {"#/quote", "#/rate"} <= pointers
    missing = api.get(
        "/v1/exchange_rates", params={"date": "2026-01-09", "base": "EUR", "quote": "RON"}
    )
    assert missing.status_code == 422
    assert "no EUR/RON rate" in missing.json()["detail"]


def test_the_command_imports_a_file(
    merchant: Merchant, database_url: str, session_factory: Any, tmp_path: Path
) -> None:
    path = tmp_path / "nbrfxrates.xml"
    path.write_bytes(BNR)
    env = {"RECURA_DATABASE_URL": database_url, "RECURA_SECRET_KEY": SECRET, "COLUMNS": "200"}
    args = ["rates", "import", str(path), "--account", merchant.account_id, "--test"]
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert "28 exchange rates imported." in result.output
    path.write_bytes(b"date,base\n")
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 1
    assert "lacks quote" in result.output
    with unit_of_work(session_factory) as session:
        tenant = Tenant(merchant.account_id, livemode=False)
        assert service.rate_on(session, tenant, SAT, "GBP", "RON").rate == Decimal("5.8610")
