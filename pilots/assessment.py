"""The SME digital-level assessment (中小企业数字化水平评测, 2024 index) as an engine over data.

The index lives in ``shipped_indices/*.json`` (questions, options, points, bands, scenarios and
the level rule), so a new version of the index is a data change. Answers are
``{"items": {item: option | [options]}, "inputs": {count: number}, "scenarios": {key: 1–4}}``.

* ``single``/``multiple`` items score their chosen options' points (a multiple item is capped at
  its points);
* ``ratio_band`` items compute a share from two counts (e.g. networked / all production
  equipment) and score the band it falls in: the first band includes its lower edge, the others
  are (lower, upper];
* the level is the highest whose rule holds: base points (基础 + 管理 + 成效) at least the
  minimum, and enough scenarios graded at least the level, of which enough constraint scenarios.
"""

import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from portal.book import localized

TARGET_LEVEL = 2  # level 2 or above after transformation (000 §四(四); 003 §三)
SHIPPED = Path(__file__).resolve().parent / "shipped_indices"
TWO = Decimal("0.01")


def load_index(version: int = 2024) -> dict[str, Any]:
    for path in SHIPPED.glob("*.json"):
        index = json.loads(path.read_text(encoding="utf-8"))
        if index["version"] == version:
            return index
    raise LookupError(f"no digital-level index version {version}")


@dataclass
class AssessmentResult:
    items: dict[str, Decimal] = field(default_factory=dict)
    dimensions: dict[str, Decimal] = field(default_factory=dict)
    base: Decimal = Decimal(0)
    rates: dict[str, Decimal] = field(default_factory=dict)
    scenario_levels: dict[str, int] = field(default_factory=dict)
    level: int = 0
    problems: list[str] = field(default_factory=list)


def _number(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except Exception:  # noqa: BLE001 - any unreadable input is reported, not raised
        return None
    return number if number.is_finite() and number >= 0 else None


def band_points(rate: Decimal, bands: list[list[float]]) -> Decimal:
    for position, (lower, upper, points) in enumerate(bands):
        low, high = Decimal(str(lower)), Decimal(str(upper))
        if (low <= rate if position == 0 else low < rate) and rate <= high:
            return Decimal(str(points))
    return Decimal(0)


def _ratio_band_points(
    item: dict[str, Any], inputs: dict[str, Any], result: AssessmentResult
) -> Decimal:
    """The band a share of two counts falls in; a missing or impossible count scores 0."""
    numerator = _number(inputs.get(item["numerator"]["key"]))
    denominator = _number(inputs.get(item["denominator"]["key"]))
    if numerator is None or denominator is None or denominator == 0:
        result.problems.append(
            _("%(item)s: enter %(denominator)s and %(numerator)s.")
            % {
                "item": localized(item),
                "denominator": localized(item["denominator"]),
                "numerator": localized(item["numerator"]),
            }
        )
        return Decimal(0)
    if numerator > denominator:
        result.problems.append(
            _("%(item)s: %(numerator)s cannot be more than %(denominator)s.")
            % {
                "item": localized(item),
                "numerator": localized(item["numerator"]),
                "denominator": localized(item["denominator"]),
            }
        )
        return Decimal(0)
    rate = (numerator * 100 / denominator).quantize(TWO, rounding=ROUND_HALF_UP)
    result.rates[item["key"]] = rate
    return band_points(rate, item["bands"])


def _option_points(item: dict[str, Any], picked: Any, result: AssessmentResult) -> Decimal:
    """The chosen options' points, capped at the item's; unknown options are dropped."""
    options = {o["key"]: Decimal(str(o["points"])) for o in item["options"]}
    picked = [picked] if isinstance(picked, str) else list(picked or [])
    unknown = [p for p in picked if p not in options]
    if unknown or (item["type"] == "single" and len(picked) > 1):
        result.problems.append(_("%(item)s: an option is not valid.") % {"item": localized(item)})
        picked = [p for p in picked if p in options][: 1 if item["type"] == "single" else None]
    if not picked and item["type"] == "single":
        result.problems.append(_("%(item)s: choose one option.") % {"item": localized(item)})
    return min(sum((options[p] for p in set(picked)), Decimal(0)), Decimal(str(item["points"])))


def score(index: dict[str, Any], answers: dict[str, Any]) -> AssessmentResult:
    result = AssessmentResult()
    chosen = answers.get("items") or {}
    inputs = answers.get("inputs") or {}
    for dimension in index["dimensions"]:
        total = Decimal(0)
        for item in dimension["items"]:
            key = item["key"]
            if item["type"] == "ratio_band":
                points = _ratio_band_points(item, inputs, result)
            else:
                points = _option_points(item, chosen.get(key), result)
            result.items[key] = points
            total += points
        result.dimensions[dimension["key"]] = total.quantize(TWO, rounding=ROUND_HALF_UP)
    result.base = sum(result.dimensions.values(), Decimal(0)).quantize(TWO, rounding=ROUND_HALF_UP)

    grades = answers.get("scenarios") or {}
    constraint = {s["key"] for s in index["scenarios"] if s["constraint"]}
    for scenario in index["scenarios"]:
        grade = grades.get(scenario["key"])
        try:
            grade = int(grade)
        except (TypeError, ValueError):
            grade = 0
        if not 1 <= grade <= 4:
            result.problems.append(
                _("%(scenario)s: grade it from level 1 to 4.") % {"scenario": localized(scenario)}
            )
            grade = 0
        result.scenario_levels[scenario["key"]] = grade
    for rule in index["levels"]:  # highest level first
        reached = [k for k, g in result.scenario_levels.items() if g >= rule["scenario_level"]]
        if (
            result.base >= Decimal(str(rule["min_score"]))
            and len(reached) >= rule["min_scenarios"]
            and len([k for k in reached if k in constraint]) >= rule["min_constraint"]
        ):
            result.level = rule["level"]
            break
    return result
