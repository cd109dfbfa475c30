"""Operators' own versions of the emails, rendered in the sandbox's processes within the
rendering budget (`sandbox`, `sandbox_process`): when saved, with sample values, and when
sent, with the email's own, outside any database transaction both times.

The stored overrides are the `email_templates` domain's; this module is what renders them.
"""

from __future__ import annotations

import atexit
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from recura.domains.common.errors import FieldError, InvalidError
from recura.domains.email_templates.schemas import EmailTemplateIn
from recura.notifications import rendering
from recura.notifications.sandbox import Budget, Refused
from recura.notifications.sandbox_process import Pool

# The renderer processes this process shares: two, for a machine's two cores.
POOL = Pool(size=2)
atexit.register(POOL.close)


@dataclass(frozen=True, slots=True)
class Override:
    subject: str
    html: str
    text: str

    def sources(self) -> tuple[str, str, str]:
        return self.subject, self.html, self.text


def render(
    override: Override,
    values: Mapping[str, Any],
    pool: Pool | None = None,
    budget: Budget | None = None,
) -> tuple[str, str, str]:
    """Subject, HTML and text of `override` with `values` (from `rendering.view`); raises
    sandbox.Refused, or sandbox_process.Unavailable when no renderer could start."""
    parts = (pool or POOL).render(
        {"subject": override.subject, "html": override.html, "text": override.text},
        values,
        budget,
    )
    return rendering.one_line(parts["subject"]), parts["html"], parts["text"]


def check(template: str, locale: str, data: EmailTemplateIn) -> None:
    """Render the override with `template`'s sample values; an InvalidError points at the
    part that does not render and says why."""
    values = rendering.view(
        template,
        locale,
        rendering.SAMPLES[template],
        rendering.SAMPLE_BRAND,
        rendering.SAMPLE_LINKS,
    )
    try:
        render(Override(data.subject, data.html, data.text), values)
    except Refused as refused:
        if refused.over_budget:
            message = refused.reason
        else:
            known = ", ".join(rendering.variables(template))
            message = f"does not render: {refused.reason}. Known variables: {known}"
        pointer = f"/{refused.part}" if refused.part else ""
        raise InvalidError([FieldError(pointer, message[:1000])]) from None
