from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from recura.domains.common.fields import Name, Schema, Timestamp, example, example_in

CLOCK_EXAMPLE = {
    "object": "test_clock",
    "id": "clock_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "name": "Annual renewal rehearsal",
    "frozen_time": "2026-01-15T09:30:00Z",
    "status": "ready",
    "livemode": False,
    "created_at": "2026-01-15T09:30:00Z",
}


class TestClockCreate(Schema):
    __test__ = False
    model_config = example_in(
        {"name": "Annual renewal rehearsal", "frozen_time": "2026-01-15T09:30:00Z"}
    )

    name: Name
    frozen_time: Timestamp


class TestClockAdvance(Schema):
    __test__ = False
    model_config = example_in({"frozen_time": "2026-04-15T09:30:00Z"})

    frozen_time: Timestamp


class TestClockOut(BaseModel):
    __test__ = False
    model_config = example(CLOCK_EXAMPLE)

    object: Literal["test_clock"] = "test_clock"
    id: str
    name: str
    frozen_time: datetime
    status: str
    livemode: bool
    created_at: datetime
