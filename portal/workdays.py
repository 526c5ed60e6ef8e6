"""Working-day arithmetic on the Chinese statutory calendar, adjusted working days included.

Three sources, in order: the operator's calendar table (``CalendarDay``: the State Council's
notice for a year, entered when it is published), then chinesecalendar's data (each year's holidays
and the weekend days made working days, e.g. 2025-09-28 and 2025-10-11 around National Day), and
for a year neither knows, Monday–Friday. That last case is never silent: ``is_known`` tells the
pages that show such a date, and the first use of an unknown year is logged.
"""

import logging
import time
from datetime import date, timedelta

import chinese_calendar

logger = logging.getLogger(__name__)

# The operator's days of a year, read once per process and kept for a minute; the command and the
# admin that change them call ``forget()`` (other processes see the change within the minute).
_CACHE_SECONDS = 60
_years: dict[int, tuple[float, dict[date, bool]]] = {}
_warned: set[int] = set()


def forget() -> None:
    _years.clear()


def _operator_days(year: int) -> dict[date, bool]:
    cached = _years.get(year)
    if cached is not None and time.monotonic() - cached[0] < _CACHE_SECONDS:
        return cached[1]
    from .models import CalendarDay

    days = dict(CalendarDay.objects.filter(day__year=year).values_list("day", "is_working_day"))
    _years[year] = (time.monotonic(), days)
    return days


def _library_knows(day: date) -> bool:
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_known(day: date) -> bool:
    """Whether the statutory calendar of ``day``'s year is known (table or library)."""
    return bool(_operator_days(day.year)) or _library_knows(day)


def is_working_day(day: date) -> bool:
    operator = _operator_days(day.year)
    if day in operator:
        return operator[day]
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if operator:  # the year's notice is entered: every day it does not name follows the week
            return day.weekday() < 5
        if day.year not in _warned:
            _warned.add(day.year)
            logger.warning(
                "No holiday data for %s: working days counted Monday to Friday. Enter the State "
                "Council's notice for that year (manage.py load_holidays).",
                day.year,
            )
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (before it when negative); start excluded."""
    step = 1 if days >= 0 else -1
    remaining = abs(days)
    current = start
    while remaining:
        current += timedelta(days=step)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``."""
    if end <= start:
        return 0
    return sum(
        1 for n in range(1, (end - start).days + 1) if is_working_day(start + timedelta(days=n))
    )
