from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from recura.domains.common.fields import example

State = Literal["invalid", "pending", "uploaded", "accepted", "rejected"]


FINDING_EXAMPLE = {
    "rule": "BR-RO-101",
    "severity": "fatal",
    "location": "/*:Invoice[namespace-uri()='urn:oasis:…:Invoice-2'][1]",
    "message": "[BR-RO-100]-… the Buyer city (BT-52) must be coded using the code list "
    "SECTOR-RO(SECTOR1, …, SECTOR6).",
}


class FindingOut(BaseModel):
    """One failed rule: its id, `fatal` (the document is not sent) or `warning`, where in
    the document (an XPath, or a line for the schema), and the rule's own message."""

    model_config = example(FINDING_EXAMPLE)

    rule: str
    severity: str
    location: str
    message: str
