"""Reading filter values from a query string without trusting them."""

from collections.abc import Mapping
from datetime import date


def text_param(params: Mapping[str, str], name: str, max_length: int = 100) -> str:
    """Printable text only (PostgreSQL refuses NUL; control characters are never meant), capped."""
    value = params.get(name, "") or ""
    return "".join(ch for ch in value if ch.isprintable())[:max_length].strip()


def int_param(params: Mapping[str, str], name: str) -> int | None:
    value = text_param(params, name, max_length=18)
    return int(value) if value.isascii() and value.isdigit() else None


def date_param(params: Mapping[str, str], name: str) -> date | None:
    """An ISO date (YYYY-MM-DD, as a date input sends it), or None for anything else."""
    value = text_param(params, name, max_length=10)
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
