"""Worker processes for the crash tests: `recura worker --once`, or the same pass on a
clock of the test's choosing (the CLI reads the system clock, and work left by a killed
worker is only taken over once it is stale)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from tests.conftest import SECRET

ROOT = Path(__file__).resolve().parents[2]
AT_CLOCK = """
import sys
from datetime import datetime
from recura.clock import FixedClock
from recura.config import load_settings
from recura.db.engine import make_engine, make_session_factory
from recura.jobs.worker import run_until_idle
factory = make_session_factory(make_engine(load_settings().database_url))
clock = FixedClock(datetime.fromisoformat(sys.argv[1]))
for name, count in run_until_idle(factory, clock).items():
    print(f"{name}: {count}")
"""


def start_worker(
    database_url: str, at: datetime | None = None, **settings: str
) -> subprocess.Popen[bytes]:
    """A worker run once (passes until nothing is left) in its own process; `settings`
    are extra RECURA_* variables."""
    env = {
        **os.environ,
        "RECURA_DATABASE_URL": database_url,
        "RECURA_SECRET_KEY": SECRET,
        **{f"RECURA_{name.upper()}": value for name, value in settings.items()},
    }
    command = ["-m", "recura.cli", "worker", "--once"]
    if at is not None:
        command = ["-c", AT_CLOCK, at.isoformat()]
    return subprocess.Popen(
        [sys.executable, *command],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
