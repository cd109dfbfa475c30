"""Worker processes for the crash tests: `recura worker --once`, or the same pass on a
clock of the test's choosing (the CLI reads the system clock, and work left by a killed
worker is only taken over once it is stale)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from tests.conftest import SECRET
from tests.waiting import PATIENCE, wait_until

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


def wait_while_running(
    worker: subprocess.Popen[bytes], done: Callable[[], object], waiting_for: str
) -> None:
    """Return once `done()` holds; fail, with what the worker printed, if it exits first."""

    def exited() -> str | None:
        if worker.poll() is None:
            return None
        output = worker.stdout.read().decode() if worker.stdout else ""
        return f"the worker exited (code {worker.returncode}):\n{output}\n"

    wait_until(done, waiting_for, gone=exited)


def finish(worker: subprocess.Popen[bytes]) -> str:
    """Wait for the worker to exit (`PATIENCE` at most); its output, checked for success."""
    try:
        output, _ = worker.communicate(timeout=PATIENCE)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.communicate()
        raise AssertionError(f"the worker still ran after {PATIENCE:.0f} s") from None
    text = output.decode()
    assert worker.returncode == 0, text
    return text
