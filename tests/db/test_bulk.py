"""Bulk writes store exactly what the ORM would: COPY text escaping, JSON documents, NULLs,
instants and the one-statement update, on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import Table, select
from sqlalchemy.orm import Session, sessionmaker
from tests.factories import create_account

from recura.db import bulk
from recura.db.models import Event
from recura.db.unit_of_work import unit_of_work
from recura.ids import new_id

T0 = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
# Ids as Recura makes them (increasing): a hand-made "evt_1" would sort after every real
# event and carry the metric rollups' cursor past other tests' events.
IDS = [new_id("event") for _ in range(3)]
AWKWARD = "tab\there\nnew line\r\\back\\slash \\N 'quote\" ț ✓"


def _event(account_id: str, n: int, **extra: object) -> dict[str, object]:
    return {
        "id": IDS[n],
        "account_id": account_id,
        "livemode": n % 2 == 0,
        "type": AWKWARD,
        "object_id": f"obj_{n}",
        "data": {"text": AWKWARD, "nested": [1, None, {"\\": "\t"}], "n": n},
        "mrr_delta": -(10**12) + n,
        "mrr_currency": None,
        "occurred_at": T0.astimezone(timezone(timedelta(hours=13))),
        "created_at": T0,
        "dispatched_at": None,
        **extra,
    }


def test_inserted_rows_read_back_exactly(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        account_id = create_account(session, T0)
        bulk.insert_rows(session, Event, [_event(account_id, n) for n in range(3)])
    with unit_of_work(session_factory) as session:
        mine = select(Event).where(Event.account_id == account_id, Event.id.in_(IDS))
        found = session.scalars(mine.order_by(Event.id)).all()
        assert [e.id for e in found] == IDS
        for n, event in enumerate(found):
            assert event.type == AWKWARD
            assert event.data == {"text": AWKWARD, "nested": [1, None, {"\\": "\t"}], "n": n}
            assert event.livemode is (n % 2 == 0)
            assert event.mrr_delta == -(10**12) + n
            assert event.mrr_currency is None
            assert event.dispatched_at is None
            assert event.occurred_at == T0
            assert event.created_at == T0


def test_update_rows_sets_each_row_its_own_values(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        account_id = create_account(session, T0)
        bulk.insert_rows(session, Event, [_event(account_id, n) for n in range(3)])
    changes = [
        {
            "account_id": account_id,
            "id": IDS[n],
            "data": None if n == 1 else {"n": n, "s": AWKWARD},
            "type": f"{AWKWARD} {{{n}}},NULL",
            "mrr_currency": "RON" if n else None,
            "mrr_delta": -(10**15) - n,
            "dispatched_at": T0 + timedelta(days=n),
        }
        for n in (0, 1)
    ]
    with unit_of_work(session_factory) as session:
        bulk.update_rows(session, Event, changes, ("account_id", "id"))
    with unit_of_work(session_factory) as session:
        mine = select(Event).where(Event.account_id == account_id, Event.id.in_(IDS))
        found = {e.id: e for e in session.scalars(mine)}
    assert found[IDS[0]].data == {"n": 0, "s": AWKWARD}
    assert found[IDS[0]].mrr_currency is None
    assert [found[IDS[n]].type for n in (0, 1)] == [f"{AWKWARD} {{{n}}},NULL" for n in (0, 1)]
    assert found[IDS[1]].mrr_delta == -(10**15) - 1
    assert found[IDS[1]].data is None
    assert found[IDS[1]].mrr_currency == "RON"
    assert found[IDS[1]].dispatched_at == T0 + timedelta(days=1)
    assert found[IDS[2]].dispatched_at is None
    assert found[IDS[2]].data["n"] == 2


def test_naive_instants_are_refused(session_factory: sessionmaker[Session]) -> None:
    with unit_of_work(session_factory) as session:
        account_id = create_account(session, T0)
        naive = _event(account_id, 0, created_at=T0.replace(tzinfo=None))
        with pytest.raises(ValueError, match="naive"):
            bulk.insert_rows(session, Event, [naive])
        session.rollback()


_UNESCAPE = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}


def _read_copy_field(field: str) -> str | None:
    """A field of COPY's text format as PostgreSQL reads it back (its documented rules)."""
    if field == "\\N":
        return None
    out, chars = [], iter(field)
    for char in chars:
        out.append(_UNESCAPE[next(chars)] if char == "\\" else char)
    return "".join(out)


@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "id": st.text(),
                "type": st.text(),
                "mrr_delta": st.one_of(st.integers(), st.booleans(), st.none()),
                "mrr_currency": st.one_of(st.none(), st.text(max_size=3)),
                "data": st.dictionaries(st.text(), st.text()),
            }
        ),
        max_size=5,
    )
)
@example(
    [
        {"id": AWKWARD, "type": "\\N", "mrr_delta": 0, "mrr_currency": "\\", "data": {}},
        {
            "id": "\x01 ok",
            "type": "",
            "mrr_delta": True,
            "mrr_currency": None,
            "data": {"\\": AWKWARD},
        },
    ]
)
def test_copy_text_reads_back_as_the_values_written(rows: list[dict[str, Any]]) -> None:
    table = cast(Table, Event.__table__)
    columns = ["id", "type", "mrr_delta", "mrr_currency", "data"]
    if any("\x00" in row["id"] + row["type"] + (row["mrr_currency"] or "") for row in rows):
        with pytest.raises(ValueError, match="NUL"):
            bulk.copy_text(table, columns, rows)
        return
    text = bulk.copy_text(table, columns, rows)
    assert text.endswith("\n") or not rows
    lines = text.split("\n")[:-1]
    assert len(lines) == len(rows)
    for line, row in zip(lines, rows, strict=True):
        fields = [_read_copy_field(f) for f in line.split("\t")]
        id_, type_, mrr_delta, mrr_currency, data = fields
        assert (id_, type_, mrr_currency) == (row["id"], row["type"], row["mrr_currency"])
        delta = row["mrr_delta"]
        if isinstance(delta, bool):
            assert mrr_delta == ("t" if delta else "f")
        else:
            assert mrr_delta == (None if delta is None else str(delta))
        assert data is not None
        assert json.loads(data) == row["data"]
