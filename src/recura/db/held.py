"""Locks this transaction holds already. A batch takes many in one statement each, then
runs the code that records one item, which asks for each lock again; asked here first, it
finds the row in the session instead of asking the database once per item."""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from sqlalchemy.orm import Session

_KEY = "recura.held"


def _held(session: Session) -> set[Hashable]:
    # Noted per savepoint: rolled back, it gives back the locks taken within it.
    transaction = session.get_nested_transaction() or session.get_transaction()
    found = session.info.get(_KEY)
    if found is None or found[0] is not transaction:
        found = session.info[_KEY] = (transaction, set())
    held: set[Hashable] = found[1]
    return held


def hold(session: Session, keys: Iterable[Hashable]) -> None:
    """Note that the transaction now holds the locks of `keys`."""
    if session.get_transaction() is not None:
        _held(session).update(keys)


def holds(session: Session, key: Hashable) -> bool:
    """Whether the transaction holds `key`'s lock already (noted by `hold`)."""
    if session.get_transaction() is None:
        return False
    return key in _held(session)
