from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from recura.domains.common.fields import Code, Schema, example, example_in
from recura.domains.common.localized import LinkUrl, Texts

MAX_POSITION = 10_000
CompletedBy = Literal["subscriber", "merchant"]
_TEXTS = {
    "en": {"title": "Connect your bank", "body": "Open **Settings → Bank** and follow the steps."},
    "ro": {"title": "Conectați banca", "body": "Deschideți **Setări → Bancă** și urmați pașii."},
}


class OnboardingStepCreate(Schema):
    model_config = example_in(
        {
            "code": "connect-bank",
            "plan": "plan_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "position": 10,
            "link": "https://app.norditech.ro/settings/bank",
            "texts": _TEXTS,
        }
    )

    code: Code = Field(description="Stable name the merchant's product completes it by.")
    product: str | None = Field(default=None, description="Only for this product's plans.")
    plan: str | None = Field(default=None, description="Only for this plan.")
    position: int = Field(default=0, ge=0, le=MAX_POSITION, description="Lowest shows first.")
    link: LinkUrl | None = None
    texts: Texts


class OnboardingStepUpdate(Schema):
    model_config = example_in({"position": 20, "link": None})

    position: int | None = Field(default=None, ge=0, le=MAX_POSITION)
    link: LinkUrl | None = None
    texts: Texts | None = None


class StepText(BaseModel):
    model_config = example({"title": "Connect your bank", "body": "Open **Settings**."})

    title: str
    body: str


class OnboardingStepOut(BaseModel):
    model_config = example(
        {
            "object": "onboarding_step",
            "id": "obs_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "code": "connect-bank",
            "product": None,
            "plan": "plan_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "position": 10,
            "link": "https://app.norditech.ro/settings/bank",
            "texts": _TEXTS,
            "livemode": False,
            "archived": False,
            "created_at": "2026-01-15T09:30:00Z",
            "updated_at": "2026-01-15T09:30:00Z",
        }
    )

    object: Literal["onboarding_step"] = "onboarding_step"
    id: str
    code: str
    product: str | None
    plan: str | None
    position: int
    link: str | None
    texts: dict[str, StepText]
    livemode: bool
    archived: bool
    created_at: datetime
    updated_at: datetime


class CompletionOut(BaseModel):
    model_config = example(
        {
            "object": "onboarding_step_completion",
            "id": "obc_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "step": "obs_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "code": "connect-bank",
            "customer": "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "completed_by": "merchant",
            "completed_at": "2026-01-15T09:30:00Z",
            "livemode": False,
        }
    )

    object: Literal["onboarding_step_completion"] = "onboarding_step_completion"
    id: str
    step: str
    code: str
    customer: str
    completed_by: CompletedBy
    completed_at: datetime
    livemode: bool


_GUIDE_STEP = {
    "step": "obs_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
    "code": "connect-bank",
    "title": "Conectați banca",
    "body": "Deschideți **Setări → Bancă** și urmați pașii.",
    "body_html": "<p>Deschideți <strong>Setări → Bancă</strong> și urmați pașii.</p>",
    "link": "https://app.norditech.ro/settings/bank",
    "done": True,
    "completed_at": "2026-01-15T09:30:00Z",
    "completed_by": "merchant",
}


class GuideStepOut(BaseModel):
    model_config = example(_GUIDE_STEP)

    step: str
    code: str
    title: str
    body: str = Field(description="Markdown, as the merchant wrote it.")
    body_html: str = Field(description="The body as safe HTML.")
    link: str | None
    done: bool
    completed_at: datetime | None
    completed_by: CompletedBy | None


class OnboardingOut(BaseModel):
    model_config = example(
        {
            "object": "onboarding",
            "customer": "cus_01JD3Q4W5E6R7T8Y9U0I1O2P3A",
            "language": "ro",
            "done": 1,
            "total": 1,
            "steps": [_GUIDE_STEP],
        }
    )

    object: Literal["onboarding"] = "onboarding"
    customer: str
    language: str = Field(description="The language the texts are in.")
    done: int
    total: int
    steps: list[GuideStepOut]
