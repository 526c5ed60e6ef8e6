"""The arithmetic of expert review: weighted totals, means, trimmed means, ranking.

Per expert: total = Σ(score × weight) / Σ(max × weight) × 100, so a rubric's weights, not its
point scales, decide what matters. Per application: the mean of the experts' totals, or —
when the round says so and at least five experts scored — the mean without one highest and one
lowest total. Ranking is competition ranking (1, 2, 2, 4) on the figure in use.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

TWO_PLACES = Decimal("0.01")
TRIM_FROM = 5


def parse_score(raw: Any, maximum: Decimal) -> Decimal | None:
    """A score from 0 to ``maximum`` with at most one decimal place, else None."""
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    if (
        not value.is_finite()
        or value < 0
        or value > maximum
        or value != value.quantize(Decimal("0.1"))
    ):
        return None
    return value


def sheet_total(criteria: Sequence[dict[str, Any]], scores: dict[str, Any]) -> Decimal | None:
    """The weighted total (0–100) of one expert's sheet, or None while a score is missing."""
    earned = possible = Decimal(0)
    for criterion in criteria:
        maximum, weight = Decimal(str(criterion["max"])), Decimal(str(criterion.get("weight", 1)))
        value = parse_score(scores.get(criterion["key"]), maximum)
        if value is None:
            return None
        earned += value * weight
        possible += maximum * weight
    if possible == 0:
        return None
    return (earned * 100 / possible).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Aggregate:
    count: int
    mean: Decimal | None
    trimmed: Decimal | None  # None unless trimming applies

    @property
    def final(self) -> Decimal | None:
        return self.trimmed if self.trimmed is not None else self.mean


def aggregate(totals: Iterable[Decimal], *, trim: bool) -> Aggregate:
    values = sorted(totals)
    if not values:
        return Aggregate(0, None, None)
    mean = (sum(values, Decimal(0)) / len(values)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    trimmed = None
    if trim and len(values) >= TRIM_FROM:
        kept = values[1:-1]
        trimmed = (sum(kept, Decimal(0)) / len(kept)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    return Aggregate(len(values), mean, trimmed)


def competition_ranks(figures: Sequence[Decimal | None]) -> list[int | None]:
    """Rank of each figure, best first; equal figures share a rank; missing figures get None."""
    ordered = sorted((f for f in figures if f is not None), reverse=True)
    first_position = {}
    for position, figure in enumerate(ordered, 1):
        first_position.setdefault(figure, position)
    return [first_position.get(f) if f is not None else None for f in figures]


def validate_rubric(definition: dict[str, Any]) -> None:
    criteria = definition.get("criteria")
    if not isinstance(criteria, list) or not criteria:
        raise ValueError("a rubric needs criteria")
    keys = set()
    for criterion in criteria:
        if not criterion.get("key") or criterion["key"] in keys or not criterion.get("label"):
            raise ValueError(f"criterion {criterion!r} needs a unique key and a label")
        keys.add(criterion["key"])
        if (
            Decimal(str(criterion.get("max", 0))) <= 0
            or Decimal(str(criterion.get("weight", 1))) <= 0
        ):
            raise ValueError(f"criterion {criterion['key']}: max and weight must be positive")
