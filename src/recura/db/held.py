"""Locks this transaction holds already. A batch takes many in one statement each, then
runs the code that records one item, which asks for each lock again; asked here first, it
finds the row it locked instead of asking the database once per item."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from sqlalchemy.orm import Session

_KEY = "recura.held"


def _held(session: Session) -> dict[Hashable, Any]:
    # Noted per savepoint: rolled back, it gives back the locks taken within it.
    transaction = session.get_nested_transaction() or session.get_transaction()
    found = session.info.get(_KEY)
    if found is None or found[0] is not transaction:
        found = session.info[_KEY] = (transaction, {})
    held: dict[Hashable, Any] = found[1]
    return held


def hold(session: Session, locked: Mapping[Hashable, Any]) -> None:
    """Note that the transaction now holds the locks of `locked`'s keys, each on the row
    it maps to (kept here: the session keeps a row only while something refers to it), or
    on no row (True)."""
    if session.get_transaction() is not None:
        _held(session).update(locked)


def holding(session: Session, key: Hashable) -> Any:
    """What `hold` noted for `key` in this transaction, or None."""
    if session.get_transaction() is None:
        return None
    return _held(session).get(key)
