"""Romanian working days: what a deadline "in N working days" counts.

e-Factura's upload deadline is 5 working days after the issue date (Law 296/2023 as
amended; Fiscal Procedure Code). Working days are Monday to Friday except the public
holidays of the Labour Code (Law 53/2003, art. 139), which include Orthodox Good Friday,
Easter and Pentecost: movable feasts, computed here from the Julian calendar's Easter.
Holidays added later apply from the year they were added (Good Friday from 2018, 6 and 7
January from 2024), so a deadline of an older document is counted as it was then.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

__all__ = ["add_working_days", "holidays", "is_working_day", "orthodox_easter"]

# (month, day, first year it is a holiday).
_FIXED = (
    (1, 1, 0),  # New Year
    (1, 2, 0),
    (1, 6, 2024),  # Epiphany (Law 17/2023)
    (1, 7, 2024),  # St John the Baptist (Law 17/2023)
    (1, 24, 0),  # Union of the Principalities
    (5, 1, 0),  # Labour Day
    (6, 1, 2017),  # Children's Day
    (8, 15, 0),  # Dormition of the Mother of God
    (11, 30, 0),  # St Andrew
    (12, 1, 0),  # National Day
    (12, 25, 0),  # Christmas
    (12, 26, 0),
)
# Days from Orthodox Easter Sunday: (offset, first year it is a holiday).
_MOVABLE = (
    (-2, 2018),  # Good Friday
    (0, 0),  # Easter Sunday
    (1, 0),  # Easter Monday
    (49, 0),  # Pentecost Sunday
    (50, 0),  # Pentecost Monday
)


def orthodox_easter(year: int) -> date:
    """Orthodox Easter Sunday of `year` in the Gregorian calendar (Meeus' Julian algorithm,
    shifted by the calendars' difference in that century)."""
    a, b, c = year % 4, year % 7, year % 19
    d = (19 * c + 15) % 30
    e = (2 * a + 4 * b - d + 34) % 7
    month, day = divmod(d + e + 114, 31)
    julian = date(year, month, day + 1)
    return julian + timedelta(days=year // 100 - year // 400 - 2)


@lru_cache(maxsize=256)
def holidays(year: int) -> frozenset[date]:
    """The Romanian public holidays of `year`."""
    easter = orthodox_easter(year)
    fixed = {date(year, m, d) for m, d, since in _FIXED if year >= since}
    movable = {easter + timedelta(days=k) for k, since in _MOVABLE if year >= since}
    return frozenset(fixed | movable)


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a public holiday."""
    return day.weekday() < 5 and day not in holidays(day.year)


def add_working_days(day: date, n: int) -> date:
    """The `n`-th working day after `day` (`day` itself not counted, whatever it is);
    `n` = 0 gives `day`. Raises ValueError for a negative `n`."""
    if n < 0:
        raise ValueError("n must not be negative")
    current = day
    while n > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            n -= 1
    return current
