"""An operator's template renders within a budget: the meter refuses what would run for
minutes or take gigabytes with a reason, and the process around it is killed at its deadline
or stops at its memory limit, the next render going on in a fresh one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from recura.notifications.sandbox import Budget, Refused, render
from recura.notifications.sandbox_process import Pool

VALUES = {"name": "Ana", "lines": [{"description": "Pro", "amount": "49,00 RON"}]}


def refused(source: str, budget: Budget | None = None, part: str = "text") -> Refused:
    with pytest.raises(Refused) as caught:
        render({part: source}, VALUES, budget or Budget())
    assert caught.value.part == part
    return caught.value


def test_an_ordinary_template_renders_as_jinja2_would() -> None:
    source = (
        "Hi {{ name }}: {% for l in lines %}{{ loop.index }}/{{ loop.length }} "
        "{{ l.description }} {{ l.amount }}{% else %}nothing{% endfor %}"
        "{{ ' ' ~ '%.1f' % 2.25 ~ ' ' ~ '{}!'.format(name) ~ ' ' ~ [1, 2]|join(',') }}"
        "{{ ' ' ~ 'ab'|center(6) ~ '|' ~ 'a,b'|replace(',', ';') }}"
    )
    rendered = render({"text": source, "html": "<b>{{ name ~ '<' }}</b>"}, VALUES, Budget())
    assert rendered == {
        "text": "Hi Ana: 1/1 Pro 49,00 RON 2.2 Ana! 1,2   ab  |a;b",
        "html": "<b>Ana&lt;</b>",
    }


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        # Nested loops: each iteration and each call is a step.
        (
            "{% for a in range(1000) %}{% for b in range(1000) %}{{ b }}{% endfor %}{% endfor %}",
            "more than 100,000 loop iterations and calls",
        ),
        (
            "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
            "{{ f(40) }}",
            "more than 100,000 loop iterations and calls",
        ),
        (
            "{% for x in range(10) recursive %}{{ loop(range(10)) }}{% endfor %}",
            "nested too deeply",
        ),
        ("{% for a in range(10**6) %}{% endfor %}", "a range of 1,000,000 numbers"),
        # One huge string, or one built up step by step.
        ('{{ "x" * 10**9 }}', "a value of 1,000,000,000 characters or items"),
        ('{{ ["x"] * 10**9 }}', "a value of 1,000,000,000 characters or items"),
        (
            '{% set ns = namespace(v="x") %}{% for i in range(40) %}'
            "{% set ns.v = ns.v ~ ns.v %}{% endfor %}{{ ns.v }}",
            "a value of 131,072 characters or items",
        ),
        (
            '{% set ns = namespace(v="x") %}{% for i in range(40) %}'
            "{% set ns.v = ns.v + ns.v %}{% endfor %}{{ ns.v }}",
            "a value of 131,072 characters or items",
        ),
        ('{{ "%0999999999d" % 1 }}', "a formatted value of 1,000,000,011 characters"),
        ('{{ "{:>999999999}".format(1) }}', "a formatted field of 999,999,999 characters"),
        ('{{ "{:>{}}".format(1, 10**9) }}', "a formatted field of 1,000,000,000 characters"),
        ('{{ "x"|center(10**9) }}', "the `center` filter's result of 1,000,000,000"),
        ('{{ (["ab"] * 1000)|join("y" * 1000) }}', "the `join` filter's result of 1,001,000"),
        ('{{ ("x" * 1000)|replace("", "y" * 1000) }}', "the `replace` filter's result"),
        ('{{ "x".ljust(10**9) }}', "`ljust`'s result of 1,000,000,000 characters"),
        ("{{ 2 ** 100000 }}", "a power of 100,000"),
        (
            "{% set ns = namespace(n=2 ** 60) %}{% for i in range(30) %}"
            "{% set ns.n = ns.n * ns.n %}{% endfor %}",
            "a number of more than 4,096 bits",
        ),
        # A huge output from small pieces.
        ('{% for i in range(100) %}{{ "x" * 99999 }}{% endfor %}', "500,000 characters of output"),
    ],
)
def test_a_template_over_the_budget_is_refused_with_the_reason(source: str, reason: str) -> None:
    refusal = refused(source)
    assert refusal.over_budget
    assert refusal.reason.startswith("exceeds the rendering budget: ")
    assert reason in refusal.reason


def test_the_processor_time_is_part_of_the_budget() -> None:
    many = Budget(steps=10**12, cpu_seconds=0.05)
    refusal = refused(
        "{% for a in range(10**5) %}{% for b in range(10**5) %}{% endfor %}{% endfor %}", many
    )
    assert "more than 0.05 s of processor time" in refusal.reason


def test_steps_are_counted_across_the_parts_of_one_email() -> None:
    loop = "{% for a in range(40000) %}{% endfor %}"
    render({"subject": loop, "html": loop}, VALUES, Budget())
    with pytest.raises(Refused) as caught:
        render({"subject": loop, "html": loop, "text": loop}, VALUES, Budget())
    assert caught.value.part == "text"


@pytest.mark.parametrize(
    "source",
    ["{{ name.__class__.__mro__ }}", "{{ lines.append(1) }}", "{{ nope }}", "{% if %}"],
)
def test_a_mistake_is_refused_but_is_not_over_the_budget(source: str) -> None:
    assert not refused(source).over_budget


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    pool = Pool(size=1, memory_mb=64)
    yield pool
    pool.close()


def in_pool(pool: Pool, source: str, **options: Any) -> dict[str, str] | Refused:
    try:
        return pool.render({"text": source}, VALUES, **options)
    except Refused as refusal:
        return refusal


def test_a_render_that_misses_its_deadline_is_killed_and_the_next_one_renders(
    pool: Pool,
) -> None:
    assert in_pool(pool, "Hi {{ name }}") == {"text": "Hi Ana"}
    (child,) = pool._idle
    unmetered = Budget(steps=10**12, cpu_seconds=10**6)
    forever = "{% for a in range(10**5) %}{% for b in range(10**5) %}{% endfor %}{% endfor %}"
    refusal = in_pool(pool, forever, budget=unmetered, deadline=0.5)
    assert isinstance(refusal, Refused)
    assert refusal.over_budget
    assert refusal.part == "text"
    assert refusal.reason == "exceeds the rendering budget: took longer than 0.5 s"
    assert child.process.poll() is not None  # killed
    assert in_pool(pool, "Hi {{ name }}") == {"text": "Hi Ana"}


def test_a_render_is_held_to_its_memory_limit_by_the_process(pool: Pool) -> None:
    # The meter would refuse the string first; without it the address space limit holds.
    unmetered = Budget(size=10**12, memory_mb=64)
    refusal = in_pool(pool, '{{ ("x" * 10**9)|length }}', budget=unmetered)
    assert isinstance(refusal, Refused)
    assert refusal.reason == "exceeds the rendering budget: needs more than 64 MB of memory"
    assert in_pool(pool, "Hi {{ name }}") == {"text": "Hi Ana"}


def test_a_renderer_that_died_while_idle_is_replaced(pool: Pool) -> None:
    assert in_pool(pool, "Hi {{ name }}") == {"text": "Hi Ana"}
    (child,) = pool._idle
    child.process.kill()
    child.process.wait()
    assert in_pool(pool, "Hi {{ name }}") == {"text": "Hi Ana"}
    assert pool._idle[0] is not child


def processor_ticks(pid: int) -> int:
    """User and system time of process `pid`, in clock ticks (proc(5))."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def test_a_renderer_that_dies_while_rendering_refuses_that_render(pool: Pool) -> None:
    assert in_pool(pool, "Hi {{ name }}") == {"text": "Hi Ana"}
    (child,) = pool._idle
    unmetered = Budget(steps=10**12, cpu_seconds=10**6)
    forever = "{% for a in range(10**5) %}{% for b in range(10**5) %}{% endfor %}{% endfor %}"
    idle = processor_ticks(child.process.pid)
    with ThreadPoolExecutor(1) as executor:
        rendering = executor.submit(in_pool, pool, forever, budget=unmetered, deadline=600)
        # Until the child works on the render (an idle one uses no processor time).
        while processor_ticks(child.process.pid) < idle + 2 and not rendering.done():
            time.sleep(0.01)
        child.process.kill()  # as the kernel would when it runs out of memory
        refusal = rendering.result()
    assert isinstance(refusal, Refused)
    assert refusal.over_budget
    assert refusal.reason == (
        "exceeds the rendering budget: the renderer ran out of memory or crashed"
    )
    assert in_pool(pool, "Hi {{ name }}") == {"text": "Hi Ana"}
