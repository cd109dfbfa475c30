from __future__ import annotations

from decimal import Decimal

from recura.domains.audit import changes
from recura.domains.audit.changes import MASK


def test_only_changed_fields_with_secrets_masked() -> None:
    before = {"url": "https://a.example", "secret": "whsec_1", "batch_size": 1, "note": None}
    after = {"url": "https://b.example", "secret": "whsec_2", "batch_size": 1, "note": None}
    assert changes.diff(before, after) == {
        "url": {"before": "https://a.example", "after": "https://b.example"},
        "secret": {"before": MASK, "after": MASK},
    }


def test_named_secrets_and_credential_words_are_masked() -> None:
    found = changes.diff(
        {"pin": "1234", "api_key": None, "client_secret": "s"},
        {"pin": "9999", "api_key": "sk_test_x", "client_secret": None},
        secrets={"pin"},
    )
    assert found == {
        "pin": {"before": MASK, "after": MASK},
        "api_key": {"before": None, "after": MASK},
        "client_secret": {"before": MASK, "after": None},
    }


def test_values_compare_as_stored() -> None:
    assert changes.diff({"rate": Decimal("19.000")}, {"rate": Decimal("19")}) == {}
    assert changes.diff({"days": [3, 5]}, {"days": (3, 5)}) == {}


def test_long_texts_are_cut() -> None:
    found = changes.diff({"html": "a" * 600}, {"html": "b" * 600})
    assert found["html"]["before"] == "a" * changes.MAX_TEXT + "…"


def test_notes_gather_per_session_until_taken() -> None:
    class FakeSession:
        info: dict[str, object] = {}

    session = FakeSession()
    changes.note(session, {"a": 1}, {"a": 2})  # type: ignore[arg-type]
    changes.note(session, {}, {"b": "x"}, prefix="config.")  # type: ignore[arg-type]
    changes.note(session, {"c": 1}, {"c": 1})  # type: ignore[arg-type]
    assert changes.take(session) == {  # type: ignore[arg-type]
        "a": {"before": 1, "after": 2},
        "config.b": {"before": None, "after": "x"},
    }
    assert changes.take(session) is None  # type: ignore[arg-type]
