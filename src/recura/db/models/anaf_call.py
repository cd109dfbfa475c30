from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base


class AnafCall(Base):
    """How many calls of one kind went to ANAF for one CIF in one window (a Romanian day or
    a minute), and for one message where ANAF's limit is per message: counted as each call
    is claimed, before it is sent, so that a limit is never passed however many workers
    run; over a limit, the work waits for the next window (`domains/efactura/limits.py`)."""

    __tablename__ = "anaf_calls"

    account_id: Mapped[str] = mapped_column(ID, ForeignKey("accounts.id"), primary_key=True)
    livemode: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    cif: Mapped[str] = mapped_column(String(16), primary_key=True)
    # "2026-12-07" (a day in Romania) or "2026-12-07T14:05" (a minute).
    window: Mapped[str] = mapped_column(String(16), primary_key=True)
    method: Mapped[str] = mapped_column(String(32), primary_key=True)
    # The upload index for per-message limits, "" for per-CIF ones.
    subject: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
