"""The VIES client against the fake VIES server on loopback: verdicts, the consultation
number with a requester, and every way VIES says it cannot answer."""

from __future__ import annotations

import httpx
import pytest

from recura.gateways.vies import Unavailable, Vies, checkable
from tests.fakes.vies_server import FakeVies

OWN = "RO18547290"
CUSTOMER = "DE136695976"


@pytest.fixture
def registered(vies: FakeVies) -> FakeVies:
    vies.register(OWN, "NORDITECH SOFTWARE SRL", "Cluj-Napoca")
    vies.register(CUSTOMER, "Muster GmbH", "Musterstr. 1\n10115 Berlin")
    return vies


def test_a_registered_number_is_valid_with_its_name_and_address(registered: FakeVies) -> None:
    answer = Vies().check(CUSTOMER)
    assert answer.valid
    assert (answer.name, answer.address) == ("Muster GmbH", "Musterstr. 1\n10115 Berlin")
    assert answer.consultation_number is None
    assert registered.requests == [{"countryCode": "DE", "vatNumber": "136695976"}]


def test_the_requesters_own_number_gets_a_consultation_number(registered: FakeVies) -> None:
    first = Vies().check(CUSTOMER, requester=OWN)
    second = Vies().check(CUSTOMER, requester=OWN)
    assert first.consultation_number
    assert second.consultation_number
    assert first.consultation_number != second.consultation_number
    assert registered.requests[0]["requesterMemberStateCode"] == "RO"
    assert registered.requests[0]["requesterNumber"] == "18547290"
    assert first.checked_at.tzinfo is not None


def test_an_unknown_number_is_invalid_and_names_nothing(registered: FakeVies) -> None:
    answer = Vies().check("DE999999999", requester=OWN)
    assert not answer.valid
    assert (answer.name, answer.address) == (None, None)
    # The check is proven all the same.
    assert answer.consultation_number


def test_a_malformed_number_is_invalid(registered: FakeVies) -> None:
    assert not Vies().check("DE").valid


def test_a_requester_vies_refuses_is_left_out(vies: FakeVies) -> None:
    vies.register(CUSTOMER, "Muster GmbH", "Berlin")
    answer = Vies().check(CUSTOMER, requester=OWN)
    assert answer.valid
    assert answer.consultation_number is None
    assert [("requesterNumber" in r) for r in vies.requests] == [True, False]


def test_a_requester_without_an_eu_number_is_not_named(registered: FakeVies) -> None:
    Vies().check(CUSTOMER, requester="18547290")
    assert "requesterNumber" not in registered.requests[0]


@pytest.mark.parametrize(
    "error", ["MS_UNAVAILABLE", "TIMEOUT", "MS_MAX_CONCURRENT_REQ", "SERVICE_UNAVAILABLE"]
)
def test_vies_not_answering_is_never_a_verdict(registered: FakeVies, error: str) -> None:
    registered.outage("DE", error)
    with pytest.raises(Unavailable) as caught:
        Vies().check(CUSTOMER, requester=OWN)
    assert caught.value.code == error
    registered.restore()
    assert Vies().check(CUSTOMER, requester=OWN).valid


def test_a_member_states_outage_leaves_the_others_answering(registered: FakeVies) -> None:
    registered.outage("FR")
    assert Vies().check(CUSTOMER).valid


def test_a_closed_port_is_a_network_failure() -> None:
    with pytest.raises(Unavailable) as caught:
        Vies("http://127.0.0.1:9", timeout=5).check(CUSTOMER)
    assert caught.value.code == "NETWORK"


def test_a_slow_answer_is_a_timeout() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    with pytest.raises(Unavailable) as caught:
        Vies("http://vies.test", transport=httpx.MockTransport(slow)).check(CUSTOMER)
    assert caught.value.code == "TIMEOUT"


@pytest.mark.parametrize(
    ("status", "body"),
    [(502, "<html>Bad gateway</html>"), (200, "{}"), (200, '{"userError": "IP_BLOCKED"}')],
)
def test_an_answer_without_a_verdict_is_unavailable(status: int, body: str) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(status, text=body))
    with pytest.raises(Unavailable):
        Vies("http://vies.test", transport=transport).check(CUSTOMER)


def test_the_fake_reports_its_outages(registered: FakeVies) -> None:
    registered.outage("DE")
    status = httpx.get(f"{registered.base_url}/check-status").json()
    states = {c["countryCode"]: c["availability"] for c in status["countries"]}
    assert (states["DE"], states["FR"]) == ("Unavailable", "Available")
    assert status["vow"]["available"]


def test_which_numbers_vies_knows() -> None:
    assert all(map(checkable, ["DE136695976", "EL094259216", "RO18547290"]))
    assert not any(map(checkable, ["18547290", "GB123456789", None]))
