from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from recura.db.base import ID, Base


class MetricCursor(Base):
    """How far the worker has folded the event log into the metric rollups: the last event
    id folded. One row per fold (`name`), over every account's events, which is why it has
    no account: it is the worker's bookmark, not a tenant's data. Its row lock also keeps
    two workers (or a rebuild) from folding at once."""

    __tablename__ = "metric_cursors"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_event_id: Mapped[str | None] = mapped_column(ID)
