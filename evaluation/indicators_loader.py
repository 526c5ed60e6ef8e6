"""Ship the quarterly evaluation's indicator sets (see portal/shipped.py), like the rubrics."""

from decimal import Decimal
from pathlib import Path
from typing import Any

from portal import shipped

SHIPPED = Path(__file__).resolve().parent / "shipped_indicators"


def validate_indicators(definition: dict[str, Any]) -> None:
    indicators = definition.get("indicators")
    if not isinstance(indicators, list) or not indicators:
        raise ValueError("an indicator set needs indicators")
    keys = set()
    for indicator in indicators:
        if not indicator.get("key") or indicator["key"] in keys or not indicator.get("label"):
            raise ValueError(f"indicator {indicator!r} needs a unique key and a label")
        keys.add(indicator["key"])
        if Decimal(str(indicator.get("max", 0))) <= 0:
            raise ValueError(f"indicator {indicator['key']}: max must be positive")
    if Decimal(str(definition.get("pass_mark", 0))) <= 0:
        raise ValueError("an indicator set needs a positive pass mark")


def sync_shipped_indicators(**kwargs: Any) -> None:
    from .models import IndicatorSet

    shipped.sync(
        IndicatorSet,
        shipped.load_folder(SHIPPED, validate_indicators),
        lambda d: {"name": d["name"], "definition": d},
    )
