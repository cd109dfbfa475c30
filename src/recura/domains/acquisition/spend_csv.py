"""Acquisition spend as CSV, in and out.

The file: a header line naming the columns `month`, `channel`, `currency`, `amount` and,
optionally, `note` (in any order), then a row per month, channel and currency. `month` is
YYYY-MM (or its first day, YYYY-MM-01); `amount` is written as people write money, in
the currency's units (1500, 1500.50; with `;` between fields a decimal comma too), and
stored in minor units: more decimals than the currency has is an error, not a rounding.
Commas or semicolons separate the fields (a spreadsheet in Romanian writes semicolons).

An import is all or nothing: every bad line is reported with its number and column, and
a file with any stores nothing. A row for a (month, channel, currency) already stored
replaces its amount and note, so a corrected file can be imported again.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from recura.core.acquisition import is_channel, slug
from recura.core.money import exponent, is_currency
from recura.domains.acquisition import repository
from recura.domains.acquisition.repository import SpendRow
from recura.domains.acquisition.schemas import SpendImportOut, month_text
from recura.domains.common.errors import FieldError, InvalidError
from recura.domains.common.fields import MAX_MINOR
from recura.domains.common.tenant import Tenant

COLUMNS = ("month", "channel", "currency", "amount", "note")
REQUIRED = ("month", "channel", "currency", "amount")
MAX_ROWS = 50_000
MAX_NOTE = 500
_MONTH = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


@dataclass(frozen=True, slots=True)
class LineProblem:
    line: int  # 1 is the header
    column: str  # "" for the line as a whole
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class SpendImportError(InvalidError):
    """Every bad line; through the API each is an error whose pointer is
    `/lines/{line}/{column}` (the file's line number, 1 being the header)."""

    def __init__(self, problems: list[LineProblem]) -> None:
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        lines = "\n".join(str(p) for p in problems[:100])
        more = f"\n... and {count - 100} more" if count > 100 else ""
        errors = [
            FieldError(f"/lines/{p.line}" + (f"/{p.column}" if p.column else ""), p.message)
            for p in problems
        ]
        super().__init__(errors, f"{count} {noun}; nothing was imported.\n{lines}{more}")
        self.problems = problems


def parse(text: str) -> list[SpendRow]:
    """The file's rows, checked; SpendImportError naming every bad line otherwise."""
    text = text.removeprefix("\ufeff")  # a spreadsheet's byte-order mark
    if "\x00" in text:  # PostgreSQL's text cannot hold it
        raise SpendImportError([LineProblem(1, "", "the file contains NUL characters")])
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    problems: list[LineProblem] = []
    header = next(reader, None)
    if header is None:
        raise SpendImportError([LineProblem(1, "", "the file is empty")])
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in names]
    unknown = [n for n in names if n not in COLUMNS]
    if missing or unknown or len(set(names)) != len(names):
        wanted = ", ".join(COLUMNS)
        said = f"the header must name the columns {wanted} (note is optional)"
        raise SpendImportError([LineProblem(1, "", said)])
    rows: list[SpendRow] = []
    seen: dict[tuple[date, str, str], int] = {}
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if len(rows) + len(problems) >= MAX_ROWS:
            problems.append(LineProblem(line, "", f"more than {MAX_ROWS} rows"))
            break
        if len(record) != len(names):
            said = f"has {len(record)} fields, the header {len(names)}"
            problems.append(LineProblem(line, "", said))
            continue
        cells = {name: cell.strip() for name, cell in zip(names, record, strict=True)}
        found = _row(line, cells, delimiter, problems)
        if found is None:
            continue
        key = (found.month, found.channel, found.currency)
        if key in seen:
            said = f"repeats line {seen[key]} (the same month, channel and currency)"
            problems.append(LineProblem(line, "", said))
            continue
        seen[key] = line
        rows.append(found)
    if problems:
        raise SpendImportError(problems)
    return rows


def _row(
    line: int, cells: dict[str, str], delimiter: str, problems: list[LineProblem]
) -> SpendRow | None:
    before = len(problems)
    month = _month(cells["month"])
    if month is None:
        said = f"'{cells['month']}' is not a month (YYYY-MM, or YYYY-MM-01)"
        problems.append(LineProblem(line, "month", said))
    channel = slug(cells["channel"])
    if not is_channel(channel):
        problems.append(LineProblem(line, "channel", "is empty"))
    currency = cells["currency"].upper()
    if not is_currency(currency):
        said = f"'{cells['currency']}' is not a currency (an ISO 4217 code: RON, EUR)"
        problems.append(LineProblem(line, "currency", said))
    amount = None
    if is_currency(currency):
        amount = _amount(line, cells["amount"], currency, delimiter, problems)
    note = cells.get("note") or None
    if note is not None and len(note) > MAX_NOTE:
        problems.append(LineProblem(line, "note", f"is longer than {MAX_NOTE} characters"))
    if len(problems) > before or month is None or amount is None:
        return None
    return SpendRow(month, channel, currency, amount, note)


def _month(text: str) -> date | None:
    matched = _MONTH.match(text)
    if matched is None:
        return None
    year, month, day = matched.groups()
    if not 1 <= int(month) <= 12 or int(year) < 1970 or (day is not None and day != "01"):
        return None
    return date(int(year), int(month), 1)


def _amount(
    line: int, text: str, currency: str, delimiter: str, problems: list[LineProblem]
) -> int | None:
    written = text.replace(" ", "").replace("\u00a0", "")
    if delimiter == ";":
        written = written.replace(",", ".")
    try:
        value = Decimal(written)
    except InvalidOperation:
        problems.append(LineProblem(line, "amount", f"'{text}' is not an amount"))
        return None
    if not value.is_finite():
        problems.append(LineProblem(line, "amount", f"'{text}' is not an amount"))
        return None
    if value < 0:
        problems.append(LineProblem(line, "amount", f"'{text}' is negative"))
        return None
    minor = value.scaleb(exponent(currency))
    if minor != minor.to_integral_value():
        said = f"'{text}' has more decimals than {currency} has ({exponent(currency)})"
        problems.append(LineProblem(line, "amount", said))
        return None
    if minor > MAX_MINOR:
        problems.append(LineProblem(line, "amount", f"'{text}' is too large"))
        return None
    return int(minor)


def import_text(session: Session, tenant: Tenant, text: str, now: datetime) -> SpendImportOut:
    """Check the whole file, then store every row (SpendImportError and nothing stored
    when any line is bad)."""
    rows = parse(text)
    stored = repository.existing_keys(session, tenant, rows)
    repository.upsert(session, tenant, rows, now)
    return SpendImportOut(rows=len(rows), created=len(rows) - len(stored), replaced=len(stored))


def export_text(
    session: Session,
    tenant: Tenant,
    month_from: date | None = None,
    month_to: date | None = None,
    channel: str | None = None,
) -> str:
    """The spend as a file `import_text` takes back as it is."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for spend in repository.every(session, tenant, month_from, month_to, channel):
        writer.writerow(
            [
                month_text(spend.month),
                spend.channel,
                spend.currency,
                _major(spend.amount, spend.currency),
                spend.note or "",
            ]
        )
    return out.getvalue()


def _major(minor: int, currency: str) -> str:
    places = exponent(currency)
    return str(Decimal(minor).scaleb(-places).quantize(Decimal(1).scaleb(-places)))
