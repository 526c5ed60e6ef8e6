"""Working-day arithmetic on the Chinese statutory calendar, adjusted working days included.

chinesecalendar knows each year's holidays and the weekend days made working days
(e.g. 2025-09-28 and 2025-10-11 around National Day). Years it does not know yet fall back to
Monday–Friday; ``is_known`` tells callers when that happened.
"""

from datetime import date, timedelta

import chinese_calendar


def is_known(day: date) -> bool:
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_working_day(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
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
