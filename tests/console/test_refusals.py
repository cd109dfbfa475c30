"""The common refusals of the services behind the console's forms, said in the operator's
language: each case makes the API refuse (its problem+json stays English) and checks the
console knows the sentence and says it in English and Romanian."""

from __future__ import annotations

from typing import Any

import pytest

from recura.console import refusals
from recura.domains.common.errors import FieldError, InvalidError
from tests.conftest import Api
from tests.console.operations_data import catalog

PRODUCT: dict[str, Any] = {"name": "Norditech CRM"}


def refused(api: Api, path: str, body: dict[str, Any], status: int = 422) -> list[str]:
    """What the API said, sentence by sentence: each field's detail, or the conflict's."""
    response = api.post(path, json=body)
    assert response.status_code == status, response.text
    problem = response.json()
    return [e["detail"] for e in problem.get("errors", [])] or [problem["detail"]]


def plan(product: str, **fields: Any) -> dict[str, Any]:
    return {
        "product": product,
        "code": "pro",
        "name": "Pro",
        "pricing_model": "flat",
        "prices": [{"currency": "RON", "amount": 4900}],
        **fields,
    }


def tiered(product: str, *tiers: tuple[str | None, str]) -> dict[str, Any]:
    """A plan in graduated tiers of (up to, price per unit)."""
    rows = [{"up_to": up_to, "unit_amount": unit} for up_to, unit in tiers]
    return plan(
        product, pricing_model="tiered_graduated", prices=[{"currency": "RON", "tiers": rows}]
    )


# (the case, its request, what the API says (English), what the console says in Romanian)
CASES: list[tuple[str, str, Any, str, str]] = [
    (
        "metric field needed",
        "/v1/billable_metrics",
        {"code": "gb", "name": "GB", "aggregation": "sum"},
        "is required when aggregation is sum",
        "Scrieți proprietatea evenimentului pe care o citește această agregare (Suma unui câmp).",
    ),
    (
        "metric field unused",
        "/v1/billable_metrics",
        {"code": "calls", "name": "Calls", "aggregation": "count", "field_name": "n"},
        "must be empty when aggregation is count",
        "Lăsați gol: numărarea evenimentelor nu citește niciun câmp.",
    ),
    (
        "metered feature",
        "/v1/features",
        {"code": "calls", "name": "Calls", "kind": "metered"},
        "a metered feature needs the billable metric it counts",
        "O funcționalitate măsurată are nevoie de măsurătoarea facturabilă pe care o numără.",
    ),
    (
        "interval",
        "/v1/plans",
        lambda ids: plan(ids["products"], interval_unit="month", interval_count=40),
        "at most 36 for month intervals",
        "Cel mult 36 pentru acest interval (Lună).",
    ),
    (
        "price model",
        "/v1/add_ons",
        {
            "code": "seats",
            "name": "Seats",
            "pricing_model": "per_unit",
            "prices": [{"currency": "RON", "amount": 900}],
        },
        "is not used by the per_unit model",
        "Nu este folosit de acest model de preț (Pe unitate): lăsați câmpul gol.",
    ),
    (
        "no price",
        "/v1/add_ons",
        {"code": "seats", "name": "Seats", "pricing_model": "flat", "prices": []},
        "at least one price (one per currency) is required",
        "Dați cel puțin un preț.",
    ),
    (
        "coupon percent or amount",
        "/v1/coupons",
        {"code": "none-off", "name": "Nothing"},
        "give either percent_off or amounts_off",
        "Dați un procent de reducere sau o sumă și moneda ei.",
    ),
    (
        "coupon periods",
        "/v1/coupons",
        {"code": "three", "name": "Three", "percent_off": 10, "duration": "repeating"},
        "is required when duration is repeating",
        "Spuneți câte perioade durează cuponul.",
    ),
    (
        "first tier's limit",
        "/v1/plans",
        lambda ids: tiered(ids["products"], ("0", "5"), (None, "1")),
        "up_to must be greater than 0",
        "Limita primei trepte trebuie să fie mai mare decât 0.",
    ),
    (
        "tiers out of order",
        "/v1/plans",
        lambda ids: tiered(ids["products"], ("10", "5"), ("5", "1"), (None, "1")),
        "up_to must be greater than the previous tier's up_to",
        "Trebuie să fie mai mare decât limita treptei anterioare.",
    ),
    (
        "an unbounded tier before the last",
        "/v1/plans",
        lambda ids: tiered(ids["products"], (None, "5"), (None, "1")),
        "only the last tier may be unbounded",
        "Doar ultima treaptă poate fi fără limită: completați-o pe a acesteia.",
    ),
    (
        "a bounded last tier",
        "/v1/plans",
        lambda ids: tiered(ids["products"], ("10", "5"), ("100", "1")),
        "the last tier must be unbounded (up_to: null)",
        "Lăsați goală limita ultimei trepte: ea cuprinde toate unitățile de peste treapta"
        " anterioară.",
    ),
    (
        "a limit out of bounds",
        "/v1/add_ons",
        lambda ids: {
            "code": "more-projects",
            "name": "More projects",
            "pricing_model": "free",
            "features": [{"feature": ids["features"], "value": -1}],
        },
        "a limit feature takes a whole number from 0 (or null for unlimited)",
        "Scrieți un număr întreg de la 0 sau lăsați gol pentru nelimitat.",
    ),
    (
        "unknown product",
        "/v1/plans",
        lambda ids: plan("prod_nothing"),
        "no product with id 'prod_nothing'",
        "Nu există în acest cont: Produs prod_nothing.",
    ),
]


@pytest.mark.parametrize(
    ("path", "body", "english", "romanian"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_a_common_refusal_is_said_in_the_operators_language(
    api: Api, path: str, body: Any, english: str, romanian: str
) -> None:
    if callable(body):
        body = body(catalog(api))
    said = refused(api, path, body)
    assert english in said  # the API's words stay English
    assert refusals.said(english, "ro") == romanian
    shown_en = refusals.said(english, "en")
    assert shown_en is not None
    assert shown_en != english  # a sentence of the catalog, not the service's fragment


def test_a_taken_code_and_an_unknown_refusal() -> None:
    assert refusals.said("A coupon with code 'x' already exists.", "ro") == (
        "Codul x este deja folosit (Cupon)."
    )
    # One the console does not know: the service's words after the page's own sentence.
    assert refusals.sentence("the moon is not a currency", "ro") == (
        "Nu este acceptat: the moon is not a currency"
    )
    both = InvalidError(
        [FieldError("/invoice", "invoice 'inv_1' is paid, not open"), FieldError("", "odd")]
    )
    assert refusals.details(both, "ro") == (
        "Factura inv_1 nu este deschisă (plătit): nu mai primește plăți. odd."
    )


def test_archiving_twice_is_said_in_the_operators_language(api: Api) -> None:
    plan_id = catalog(api)["plans"]
    api.ok("POST", f"/v1/plans/{plan_id}/archive")
    (said,) = refused(api, f"/v1/plans/{plan_id}/archive", {}, status=409)
    assert said == f"Plan '{plan_id}' is already archived."
    assert refusals.said(said, "ro") == f"Plan {plan_id} este deja în arhivă."
    assert refusals.said(said, "en") == f"Plan {plan_id} is already archived."
