"""The e-invoice benchmark runs to the end on a few invoices, its documents valid."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.domains.einvoices.rules import reference_rules

BENCH = Path(__file__).resolve().parents[2] / "bench" / "einvoices.py"


def test_the_benchmark_measures_a_small_run() -> None:
    rules = reference_rules()
    done = subprocess.run(
        [sys.executable, str(BENCH), "--invoices", "4", "--rules", str(rules)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "fatal findings in the first 20 documents: 0" in done.stdout
    assert "worker handler: 4 e-invoices" in done.stdout
