"""Charts drawn on the server as SVG, from numbers: no script, no assets, readable by
screen readers (role="img" with a title and a description; each page also shows the
numbers in a table). Labels come formatted by the caller, in the operator's language.

Only presentation attributes (fill, stroke) are used, never `style`: the console's
Content-Security-Policy allows no inline styles.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 112, 16, 16, 40
TICKS = 4
# Colours with at least 3:1 contrast on white (WCAG 1.4.11), told apart by the legend too.
COLORS = {
    "new": "#1a7f37",
    "expansion": "#2f6fed",
    "reactivation": "#8250df",
    "contraction": "#bc4c00",
    "churn": "#cf222e",
    "voluntary": "#bc4c00",
    "involuntary": "#cf222e",
}
LINE = "#2f6fed"
GRID = "#d0d7de"
TEXT = "#24292f"


@dataclass(frozen=True, slots=True)
class Series:
    """One stacked layer: its key (a colour), its label and a value per category."""

    key: str
    label: str
    values: Sequence[int]


def _ticks(low: int, high: int) -> list[int]:
    """Round steps covering [low, high], zero among them."""
    span = max(high - low, 1)
    raw = span / TICKS
    magnitude = 10 ** (len(str(int(raw))) - 1)
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    start = -(-low // step) * step if low >= 0 else -((-low + step - 1) // step) * step
    start = min(start, 0)
    ticks, value = [], start
    while value < high + step:
        ticks.append(value)
        if value >= high:
            break
        value += step
    return ticks


def _frame(title: str, description: str, ident: str, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="chart" role="img" aria-labelledby="{ident}-title {ident}-desc" '
        f'preserveAspectRatio="xMidYMid meet">'
        f'<title id="{ident}-title">{escape(title)}</title>'
        f'<desc id="{ident}-desc">{escape(description)}</desc>'
    )
    # Every text in it went through escape(); the rest is numbers.
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704 (every text escaped above)


def _axes(ticks: list[int], y: Callable[[int], float], label: Callable[[int], str]) -> list[str]:
    parts = []
    for tick in ticks:
        at = y(tick)
        stroke = TEXT if tick == 0 else GRID
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{at:.1f}" y2="{at:.1f}" '
            f'stroke="{stroke}" stroke-width="1"/>'
            f'<text x="{LEFT - 8}" y="{at + 4:.1f}" text-anchor="end" font-size="14" '
            f'fill="{TEXT}">{escape(label(tick))}</text>'
        )
    return parts


def _scale(ticks: list[int]) -> Callable[[int], float]:
    low, high = ticks[0], ticks[-1]
    span = max(high - low, 1)
    return lambda value: TOP + (high - value) * (HEIGHT - TOP - BOTTOM) / span


def _category_labels(categories: Sequence[str], x: Callable[[int], float]) -> list[str]:
    # On a narrow screen the SVG shrinks: every other label keeps them from overlapping.
    every = 1 if len(categories) <= 6 else 2
    return [
        f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 20}" text-anchor="middle" font-size="14" '
        f'fill="{TEXT}">{escape(name)}</text>'
        for i, name in enumerate(categories)
        if (len(categories) - 1 - i) % every == 0
    ]


def line(
    ident: str,
    title: str,
    description: str,
    categories: Sequence[str],
    values: Sequence[int | None],
    label: Callable[[int], str],
) -> Markup:
    """A line over the categories (months), its points marked; `label` formats an axis value.
    A value that is not defined (None: a ratio over nothing) breaks the line there."""
    known = [v for v in values if v is not None]
    ticks = _ticks(min([0, *known]), max([0, *known]))
    y = _scale(ticks)
    inner = WIDTH - LEFT - RIGHT
    count = max(len(values), 1)

    def x(i: int) -> float:
        return LEFT + inner * (i + 0.5) / count

    body = _axes(ticks, y, label)
    runs: list[list[tuple[int, int]]] = [[]]
    for i, v in enumerate(values):
        if v is None:
            runs.append([])
        else:
            runs[-1].append((i, v))
    for run in runs:
        if len(run) > 1:
            points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in run)
            body.append(
                f'<polyline points="{points}" fill="none" stroke="{LINE}" stroke-width="2.5"/>'
            )
        body += [f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" fill="{LINE}"/>' for i, v in run]
    body += _category_labels(categories, x)
    return _frame(title, description, ident, body)


def stacked_bars(
    ident: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    label: Callable[[int], str],
) -> Markup:
    """Bars per category: positive values stacked up from zero, negative ones down."""
    ups = [sum(max(s.values[i], 0) for s in series) for i in range(len(categories))]
    downs = [sum(min(s.values[i], 0) for s in series) for i in range(len(categories))]
    ticks = _ticks(min([0, *downs]), max([0, *ups]))
    y = _scale(ticks)
    inner = WIDTH - LEFT - RIGHT
    count = max(len(categories), 1)
    band = inner / count
    bar = band * 0.6

    def x(i: int) -> float:
        return LEFT + band * (i + 0.5)

    body = _axes(ticks, y, label)
    for i in range(len(categories)):
        up, down = 0, 0
        for s in series:
            value = s.values[i]
            if value == 0:
                continue
            base = up if value > 0 else down
            top, bottom = (base + value, base) if value > 0 else (base, base + value)
            if value > 0:
                up += value
            else:
                down += value
            body.append(
                f'<rect x="{x(i) - bar / 2:.1f}" y="{y(top):.1f}" width="{bar:.1f}" '
                f'height="{max(y(bottom) - y(top), 0.5):.1f}" fill="{COLORS[s.key]}">'
                f"<title>{escape(s.label)}: {escape(label(value))}</title></rect>"
            )
    body += _category_labels(categories, x)
    return _frame(title, description, ident, body)
