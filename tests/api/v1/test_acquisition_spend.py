"""Acquisition spend through the API: recorded and replaced per month, channel and
currency, listed with filters and pages, deleted, imported and exported as CSV."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, Merchant

PATH = "/v1/acquisition_spend"
CSV = "/v1/acquisition_spend_csv"


def spend(
    api: Api,
    month: str,
    channel: str,
    amount: int,
    currency: str = "RON",
    status: int = 201,
    **over: Any,
) -> Any:
    body = {"month": month, "channel": channel, "amount": {"amount": amount, "currency": currency}}
    return api.ok("POST", PATH, status, json={**body, **over})


def test_record_replace_list_delete(api: Api, merchant: Merchant) -> None:
    first = spend(api, "2026-03", "Google_Ads", 250000, note="search")
    assert first["id"].startswith("acqs_")
    assert (first["month"], first["channel"], first["amount"]) == (
        "2026-03",
        "google_ads",
        {"amount": 250000, "currency": "RON"},
    )
    again = spend(api, "2026-03", "google_ads", 300000, status=200)
    assert again["id"] == first["id"]
    assert (again["amount"]["amount"], again["note"]) == (300000, None)
    euros = spend(api, "2026-03", "google_ads", 1000, "EUR")
    assert euros["id"] != first["id"]  # currencies are never added together
    spend(api, "2026-04", "newsletter", 50000)
    spend(api, "2026-05", "google_ads", 1)

    everything = api.ok("GET", PATH)["data"]
    assert len(everything) == 4
    google = api.ok("GET", PATH, params={"channel": "google_ads", "month_from": "2026-04"})
    assert [s["month"] for s in google["data"]] == ["2026-05"]
    march = api.ok("GET", PATH, params={"month_from": "2026-03", "month_to": "2026-03"})["data"]
    assert {s["amount"]["currency"] for s in march} == {"RON", "EUR"}
    page = api.ok("GET", PATH, params={"limit": 3})
    assert page["has_more"] is True
    rest = api.ok("GET", PATH, params={"limit": 3, "starting_after": page["data"][-1]["id"]})
    assert len(rest["data"]) == 1
    assert rest["has_more"] is False

    assert api.ok("DELETE", f"{PATH}/{euros['id']}") == {
        "object": "acquisition_spend",
        "id": euros["id"],
        "deleted": True,
    }
    assert api.request("DELETE", f"{PATH}/{euros['id']}").status_code == 404
    # another mode, another account's data
    assert merchant.live.ok("GET", PATH)["data"] == []
    assert merchant.live.request("DELETE", f"{PATH}/{first['id']}").status_code == 404


def test_spend_is_validated(api: Api) -> None:
    good = {"month": "2026-03", "channel": "x", "amount": {"amount": 1, "currency": "RON"}}
    cases = [
        ({"month": "2026-13"}, "/month"),
        ({"month": "2026-03-01"}, "/month"),
        ({"month": "0000-01"}, "/month"),
        ({"amount": {"amount": True, "currency": "RON"}}, "/amount/amount"),
        ({"amount": {"amount": "12", "currency": "RON"}}, "/amount/amount"),
        ({"channel": "a b"}, "/channel"),
        ({"amount": {"amount": -1, "currency": "RON"}}, "/amount/amount"),
        ({"amount": {"amount": 1, "currency": "XYZ"}}, "/amount/currency"),
        ({"note": "x" * 501}, "/note"),
    ]
    for over, pointer in cases:
        response = api.post(PATH, json={**good, **over})
        assert response.status_code == 422, over
        assert [e["pointer"] for e in response.json()["errors"]] == ["#" + pointer]
    assert api.get(PATH, params={"month_from": "March"}).status_code == 422
    assert api.get(CSV, params={"month_to": "0000-01"}).status_code == 422


def test_csv_import_is_all_or_nothing_with_line_numbers(api: Api) -> None:
    text = (
        "month,channel,currency,amount,note\n"
        "2026-01,google_ads,RON,1500.50,search\n"
        "2026-13,google_ads,RON,1,\n"
        "2026-02,newsletter,RNO,1,\n"
        "2026-02,newsletter,RON,-5,\n"
        "2026-02,newsletter,JPY,1.5,\n"
    )
    headers = {"Content-Type": "text/csv"}
    response = api.post(CSV, content=text.encode(), headers=headers)
    assert response.status_code == 422
    assert [(e["pointer"], e["detail"]) for e in response.json()["errors"]] == [
        ("#/lines/3/month", "'2026-13' is not a month (YYYY-MM, or YYYY-MM-01)"),
        ("#/lines/4/currency", "'RNO' is not a currency (an ISO 4217 code: RON, EUR)"),
        ("#/lines/5/amount", "'-5' is negative"),
        ("#/lines/6/amount", "'1.5' has more decimals than JPY has (0)"),
    ]
    assert api.ok("GET", PATH)["data"] == []  # the good line was not stored either

    spend(api, "2026-02", "newsletter", 1)
    good = (
        "\ufeffmonth;channel;currency;amount;note\n"
        "2026-01;Google Ads;RON;1500,50;search\n"
        "2026-02-01;newsletter;ron;200;\n"
        "\n"
        "2026-02;newsletter;JPY;1500;yen\n"
    )
    done = api.ok("POST", CSV, content=good.encode(), headers=headers)
    assert done == {"rows": 3, "created": 2, "replaced": 1}
    exported = api.get(CSV)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.text == (
        "month,channel,currency,amount,note\n"
        "2026-01,google_ads,RON,1500.50,search\n"
        "2026-02,newsletter,JPY,1500,yen\n"
        "2026-02,newsletter,RON,200.00,\n"
    )
    # the export imports back as it is, replacing every row
    again = api.ok("POST", CSV, content=exported.content, headers=headers)
    assert again == {"rows": 3, "created": 0, "replaced": 3}
    only = api.get(CSV, params={"channel": "google_ads", "month_to": "2026-01"})
    assert only.text.count("\n") == 2


def test_csv_import_refuses_a_bad_header_and_repeated_rows(api: Api) -> None:
    headers = {"Content-Type": "text/csv"}
    cases = [
        ("", "#/lines/1"),
        ("month,channel,amount\n2026-01,x,1\n", "#/lines/1"),
        ("month,channel,currency,amount\n2026-01,x,RON\n", "#/lines/2"),
        ("month,channel,currency,amount\n2026-01,x,RON,1\n2026-01,X,RON,2\n", "#/lines/3"),
        ("month,channel,currency,amount\n2026-01,x,RON,abc\n", "#/lines/2/amount"),
        ("month,channel,currency,amount\n2026-01,!!,RON,1\n", "#/lines/2/channel"),
    ]
    for text, pointer in cases:
        response = api.post(CSV, content=text.encode(), headers=headers)
        assert response.status_code == 422, text
        assert [e["pointer"] for e in response.json()["errors"]] == [pointer], text
    latin = "month,channel,currency,amount,note\n2026-01,x,RON,1,Bra\xe7ov\n".encode("latin-1")
    assert api.post(CSV, content=latin, headers=headers).status_code == 422
