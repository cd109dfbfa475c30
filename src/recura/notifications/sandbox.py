"""Operators' templates rendered within a budget.

An override is Jinja2 that someone outside the project wrote, so besides the sandbox's rule
(no private attributes, no unsafe calls) it gets a meter: loop iterations and calls are
counted, processor time is watched, `range` and the operators and filters that multiply a
value (`*`, `+`, `~`, `%`, `join`, `center`, `replace`, …) refuse results over a size, and
each part's output stops at a cap. What the meter cannot see (memory, a single slow step)
is bounded by the process around it (`sandbox_process`): the renderer runs apart, with an
address-space limit, and is killed at a deadline. This module imports only Jinja2 and the
standard library, so that process starts quickly.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.environment import Template
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

# Memory a renderer process may take beyond what it holds when it starts.
MEMORY_MB = 256


@dataclass(frozen=True, slots=True)
class Budget:
    """What one email's render may use, its three parts together."""

    # Loop iterations and calls (macros, methods, filters).
    steps: int = 100_000
    # Characters or items of any one value a template builds.
    size: int = 100_000
    # Characters of each rendered part.
    output: int = 500_000
    cpu_seconds: float = 2.0
    # Said in the message when memory runs out; the process enforces it (`sandbox_process`).
    memory_mb: int = MEMORY_MB


class Refused(Exception):
    """An override that does not render: `part` is where (None when unknown), `reason` says
    why, `over_budget` tells a budget exceeded from a mistake in the template."""

    def __init__(self, part: str | None, reason: str, over_budget: bool) -> None:
        super().__init__(reason)
        self.part = part
        self.reason = reason
        self.over_budget = over_budget


class OverBudget(Exception):
    pass


class _Meter:
    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.steps = 0
        self.started = time.process_time()

    def step(self) -> None:
        self.steps += 1
        if self.steps > self.budget.steps:
            raise OverBudget(f"more than {self.budget.steps:,} loop iterations and calls")
        if self.steps % 256 == 0:
            self.check_time()

    def check_time(self) -> None:
        if time.process_time() - self.started > self.budget.cpu_seconds:
            raise OverBudget(f"more than {self.budget.cpu_seconds:g} s of processor time")

    def allow(self, size: int, what: str = "a value", unit: str = "characters or items") -> None:
        if size > self.budget.size:
            raise OverBudget(f"{what} of {size:,} {unit}, over the {self.budget.size:,} limit")

    def sized(self, value: Any) -> Any:
        if isinstance(value, str | bytes | list | tuple | dict | set | frozenset | range):
            self.allow(len(value))
        return value


_meter: contextvars.ContextVar[_Meter] = contextvars.ContextVar("sandbox_meter")


def _current() -> _Meter:
    try:
        return _meter.get()
    except LookupError:  # a template rendered without `render`: the default budget
        meter = _Meter(Budget())
        _meter.set(meter)
        return meter


class _Counted:
    """An iterable whose every item is a step; keeps `len` so `loop.length` stays cheap."""

    __slots__ = ("_items",)

    def __init__(self, items: Any) -> None:
        self._items = items

    def __iter__(self) -> Iterator[Any]:
        meter = _current()
        for item in self._items:
            meter.step()
            yield item

    def __len__(self) -> int:
        return len(self._items)


def _range(*args: int) -> range:
    numbers = range(*args)
    _current().allow(len(numbers), "a range", "numbers")
    return numbers


_FORMAT_WIDTH = re.compile(r"%[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _printf_size(template: str) -> int:
    """The widest field a %-format asks for (`*` takes it from the values: refused)."""
    widest = 0
    for width, precision in _FORMAT_WIDTH.findall(template):
        for number in (width, precision):
            if number == "*":
                return 2**62
            if number:
                widest = max(widest, int(number))
    return widest


_BRACE_NUMBER = re.compile(r"\{[^{}]*?(\d+)[^{}]*\}")


def _check_format(template: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    meter = _current()
    for number in _BRACE_NUMBER.findall(template):
        meter.allow(int(number), "a formatted field", "characters")
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool):
            meter.allow(
                abs(value), "a formatted field", "characters"
            )  # nested widths come from the values


def _length(value: Any) -> int:
    try:
        return len(value)
    except TypeError:
        return 0


def _estimate(name: str, bound: inspect.BoundArguments) -> int:
    """How large the result of filter `name` will be, before it is made (0: not a concern)."""
    a = bound.arguments
    value = a.get("value", a.get("s", ""))
    if name == "center":
        return max(int(a.get("width", 80)), _length(value))
    if name == "indent":
        width = a.get("width", 4)
        pad = len(width) if isinstance(width, str) else int(width)
        return _length(value) + pad * (str(value).count("\n") + 1)
    if name == "join":
        items = list(value) if not isinstance(value, list | tuple | str) else value
        bound.arguments["value"] = items
        separator = len(str(a.get("d", "")))
        return separator * max(len(items) - 1, 0) + sum(_length(item) for item in items)
    if name == "replace":
        old, new = str(a.get("old", "")), str(a.get("new", ""))
        count = str(value).count(old) if old else _length(value) + 1
        return _length(value) + count * len(new)
    if name == "wordwrap":
        wrapper = a.get("wrapstring") or "\n"
        return _length(value) * (1 + len(wrapper)) // max(int(a.get("width", 79)), 1)
    if name in ("batch", "slice"):
        return int(a.get("linecount", a.get("slices", 0)))
    if name == "format":
        return _printf_size(str(value))
    return 0


def _metered_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(function)

    @functools.wraps(function)
    def metered(*args: Any, **kwargs: Any) -> Any:
        meter = _current()
        meter.step()
        bound = signature.bind(*args, **kwargs)
        meter.allow(_estimate(name, bound), f"the `{name}` filter's result")
        return meter.sized(function(*bound.args, **bound.kwargs))

    return metered


# String methods whose result can be far larger than the string: their size is checked first.
_STRING_METHODS: dict[str, Callable[[str, tuple[Any, ...]], int]] = {
    "center": lambda s, a: int(a[0]) if a else 0,
    "ljust": lambda s, a: int(a[0]) if a else 0,
    "rjust": lambda s, a: int(a[0]) if a else 0,
    "zfill": lambda s, a: int(a[0]) if a else 0,
    "expandtabs": lambda s, a: len(s) + s.count("\t") * (int(a[0]) if a else 8),
    "replace": lambda s, a: (
        len(s) + (s.count(str(a[0])) if a[0] else len(s) + 1) * len(str(a[1])) if len(a) >= 2 else 0
    ),
    "join": lambda s, a: len(s) * len(a[0]) if a and hasattr(a[0], "__len__") else 0,
}


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox with the meter's checks at every call, operator and loop."""

    intercepted_binops = frozenset({"*", "+", "%", "**"})

    def __init__(self, autoescape: bool) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=autoescape)
        self.globals = {
            "range": _range,
            "dict": self.globals["dict"],
            "namespace": self.globals["namespace"],
            "cycler": self.globals["cycler"],
            "joiner": self.globals["joiner"],
        }
        self.filters = {name: _metered_filter(name, f) for name, f in self.filters.items()}
        self.filters["_counted"] = _Counted
        self.filters["_sized"] = lambda value: _current().sized(value)

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        meter = _current()
        if operator_ == "*" and isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > 4096:
                raise OverBudget("a number of more than 4,096 bits")
        elif operator_ == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(times, int) and hasattr(sequence, "__len__"):
                    meter.allow(_length(sequence) * times)
        elif operator_ == "+":
            meter.allow(_length(left) + _length(right))
        elif operator_ == "%" and isinstance(left, str):
            meter.allow(len(left) + _printf_size(left), "a formatted value", "characters")
        elif operator_ == "**" and isinstance(right, int) and abs(right) > 64:
            raise OverBudget(f"a power of {right:,}, over the 64 limit")
        return meter.sized(self.binop_table[operator_](left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        meter = _current()
        meter.step()
        if isinstance(__obj, LoopContext) and args:  # a recursive loop's next level
            args = (_Counted(args[0]), *args[1:])
        owner = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", "")
        if isinstance(owner, str):
            if name in _STRING_METHODS:
                meter.allow(_STRING_METHODS[name](owner, args), f"`{name}`'s result")
            elif name in ("format", "format_map"):
                _check_format(owner, args, kwargs)
        return meter.sized(super().call(__context, __obj, *args, **kwargs))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        template: str = value.__self__

        @functools.wraps(wrapper)
        def checked(*args: Any, **kwargs: Any) -> str:
            _check_format(template, args, kwargs)
            return _current().sized(wrapper(*args, **kwargs))  # type: ignore[no-any-return]

        return checked

    def compile_counted(self, source: str) -> Template:
        """`source` as a template whose loops count their iterations and whose `~` is sized."""
        tree = _Metering().visit(self.parse(source))
        code = self.compile(tree)
        return self.template_class.from_code(self, code, self.make_globals(None), None)


class _Metering(NodeTransformer):
    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, "_counted", [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Filter(node, "_sized", [], [], None, None, lineno=node.lineno)


_PLAIN = BoundedSandbox(autoescape=False)
_HTML = BoundedSandbox(autoescape=True)


@functools.lru_cache(maxsize=64)
def _template(source: str, html: bool) -> Template:
    return (_HTML if html else _PLAIN).compile_counted(source)


def render(
    sources: Mapping[str, str],
    values: Mapping[str, Any],
    budget: Budget,
    starting: Callable[[str], None] = lambda part: None,
) -> dict[str, str]:
    """Each part of `sources` (subject, html, text) rendered with `values`, in this process,
    `starting` told of each part first; raises Refused naming the part. Call it where a
    runaway template can be killed (see `sandbox_process`)."""
    token = _meter.set(_Meter(budget))
    try:
        rendered = {}
        for part, source in sources.items():
            starting(part)
            rendered[part] = _render_part(part, source, values)
        return rendered
    finally:
        _meter.reset(token)


def _render_part(part: str, source: str, values: Mapping[str, Any]) -> str:
    meter = _current()
    try:
        template = _template(source, part == "html")
        written: list[str] = []
        size = 0
        for chunk in template.generate(values):
            size += len(chunk)
            if size > meter.budget.output:
                raise OverBudget(f"more than {meter.budget.output:,} characters of output")
            written.append(chunk)
        meter.check_time()
        return "".join(written)
    except OverBudget as over:
        raise Refused(part, f"exceeds the rendering budget: {over}", over_budget=True) from None
    except MemoryError:
        reason = (
            f"exceeds the rendering budget: needs more than {meter.budget.memory_mb} MB of memory"
        )
        raise Refused(part, reason, over_budget=True) from None
    except RecursionError:
        raise Refused(part, "exceeds the rendering budget: nested too deeply", True) from None
    except Exception as error:  # syntax, an unknown value, the sandbox's refusal, a bad filter
        raise Refused(part, f"{type(error).__name__}: {error}", over_budget=False) from None
