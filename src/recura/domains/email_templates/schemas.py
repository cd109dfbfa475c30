from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from recura.domains.common.fields import Schema, example, example_in

LocaleName = Literal["en", "ro"]
Source = Annotated[str, StringConstraints(min_length=1, max_length=100_000)]

_EXAMPLE_IN = {
    "subject": "Chitanța pentru factura {{ number }}",
    "html": "<p>Bună, {{ customer_name }}! Am primit {{ amount }} pe {{ paid_at }}.</p>",
    "text": "Bună, {{ customer_name }}! Am primit {{ amount }} pe {{ paid_at }}.",
}


class EmailTemplateIn(Schema):
    model_config = example_in(_EXAMPLE_IN)

    subject: Annotated[str, StringConstraints(min_length=1, max_length=998)] = Field(
        description="Jinja2; one line once rendered."
    )
    html: Source = Field(description="Jinja2 for the HTML part; values are escaped.")
    text: Source = Field(description="Jinja2 for the plain-text part.")


class EmailTemplateOut(BaseModel):
    model_config = example(
        {
            "object": "email_template",
            "id": "etpl_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "template": "receipt",
            "locale": "ro",
            **_EXAMPLE_IN,
            "variables": [
                "account_name",
                "amount",
                "customer_name",
                "invoice_url",
                "lines",
                "locale",
                "number",
                "paid_at",
                "support_address",
                "tax",
                "tax_inclusive",
                "total",
            ],
            "disabled_at": None,
            "disabled_reason": None,
            "livemode": False,
            "created_at": "2026-01-15T09:30:00Z",
            "updated_at": "2026-01-15T09:30:00Z",
        }
    )

    object: Literal["email_template"] = "email_template"
    id: str
    template: str
    locale: str
    subject: str
    html: str
    text: str
    variables: list[str] = Field(description="What the templates may use.")
    disabled_at: datetime | None = Field(
        description="When sending an email with it went over the rendering budget or failed; "
        "Recura's own version of the email is sent instead until the override is saved again."
    )
    disabled_reason: str | None = Field(description="Why it was set aside, as the email said.")
    livemode: bool
    created_at: datetime
    updated_at: datetime
