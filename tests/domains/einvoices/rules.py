"""Where the EN 16931 and CIUS-RO rules are for tests: ../shared/reference, never copied
into the project. Without it the tests that need it skip, saying so; in CI they fail."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REFERENCE = Path(__file__).resolve().parents[3].parent / "shared" / "reference"


def _required() -> bool:
    return os.environ.get("RECURA_REQUIRE_POSTGRES") == "1" or bool(os.environ.get("CI"))


def reference_rules() -> Path:
    """The rules directory, or a skip (a failure in CI) naming where it was looked for."""
    needed = [
        "en16931/EN16931-UBL-validation.xslt",
        "cius-ro/xslt/EN16931-CIUS_RO-UBL-validation.xslt",
        "ubl21-xsd/maindoc/UBL-Invoice-2.1.xsd",
    ]
    if not all((REFERENCE / p).is_file() for p in needed):
        reason = f"the EN 16931 / CIUS-RO rules are not at {REFERENCE}"
        if _required():
            pytest.fail(reason)
        pytest.skip(reason)
    return REFERENCE
