"""A standalone worker collects garbage less often, and never walks what it loaded at start."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import gc
from recura.jobs.worker import GC_THRESHOLD, tune_gc
tune_gc()
assert gc.get_threshold() == GC_THRESHOLD, gc.get_threshold()
assert gc.get_freeze_count() > 10_000, gc.get_freeze_count()
"""


def test_tune_gc_freezes_the_loaded_objects_and_raises_the_threshold() -> None:
    # In a process of its own: the test process keeps its collector as it is.
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
