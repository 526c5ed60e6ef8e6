"""The 2024 digital-level index against worked examples, and amounts in capital numerals."""

from decimal import Decimal

import pytest

from pilots.assessment import band_points, load_index, score
from portal.money import rmb_upper, wan_to_upper

INDEX = load_index(2024)
D = Decimal
BANDS = next(
    i for d in INDEX["dimensions"] for i in d["items"] if i["key"] == "equipment_networked"
)["bands"]


@pytest.mark.parametrize(
    ("rate", "points"),
    [
        ("0", "0"),
        ("10", "0"),
        ("10.01", "1.5"),
        ("20", "1.5"),
        ("20.5", "3"),
        ("40", "3"),
        ("59.99", "4.5"),
        ("60", "4.5"),
        ("60.01", "6"),
        ("100", "6"),
    ],
)
def test_the_equipment_shares_score_by_band(rate, points):
    """[0,10%] 0; (10,20] 1.5; (20,40] 3; (40,60] 4.5; (60,100] 6 (2024 index, 设备系统)."""
    assert band_points(D(rate), BANDS) == D(points)


def full_marks():
    items = {}
    for dimension in INDEX["dimensions"]:
        for item in dimension["items"]:
            if item["type"] == "single":
                items[item["key"]] = max(item["options"], key=lambda o: o["points"])["key"]
            elif item["type"] == "multiple":
                items[item["key"]] = [o["key"] for o in item["options"]]
    return {
        "items": items,
        "inputs": {"devices_total": 40, "devices_digital": 40, "devices_networked": 40},
        "scenarios": {s["key"]: 4 for s in INDEX["scenarios"]},
    }


def test_full_marks_are_100_points_and_level_4():
    result = score(INDEX, full_marks())
    assert result.problems == []
    assert result.dimensions == {"foundation": D(50), "management": D(30), "results": D(20)}
    assert result.base == D(100) and result.level == 4


def level_two_example():
    """A small manufacturer after transformation: 50.05 base points, 6 scenarios at level 2+."""
    answers = {
        "items": {
            "network": ["control", "systems"],  # 4
            "data_collection": ["production", "quality", "equipment", "finance"],  # 2.8
            "systems": "several",  # 5
            "network_security": ["policy", "products"],  # 2.5
            "data_security": ["policy"],  # 1.25
            "planning": "pilot",  # 4.5
            "mechanism": ["process", "systems"],  # 3.75
            "talent": ["staff", "training"],  # 3
            "funding": "b2",  # 3.75
            "energy": "same",
            "quality": "up",
            "revenue_per_head": "same",
            "cost": "same",  # 3.5 + 7 + 1.5 + 1.5
        },
        "inputs": {
            "devices_total": 80,
            "devices_digital": 30,
            "devices_networked": 20,
        },  # 37.5% → 3; 25% → 3
        "scenarios": {s["key"]: 1 for s in INDEX["scenarios"]},
    }
    # Six scenarios at level 2, three of them constraint scenarios (生产管控, 质量管理, 财务管理).
    answers["scenarios"].update(
        {"production": 2, "quality": 2, "finance": 2, "scheduling": 2, "hr": 2, "office": 2}
    )
    return answers


def test_a_worked_example_reaches_level_2():
    result = score(INDEX, level_two_example())
    assert result.problems == []
    assert result.rates == {"equipment_digital": D("37.50"), "equipment_networked": D("25.00")}
    # 基础 4 + 3 + 3 + 2.8 + 5 + 2.5 + 1.25; 管理 4.5 + 3.75 + 3 + 3.75; 成效 3.5 + 7 + 1.5 + 1.5
    assert result.dimensions == {
        "foundation": D("21.55"),
        "management": D("15.00"),
        "results": D("13.50"),
    }
    assert result.base == D("50.05")
    assert result.level == 2


def test_the_level_needs_constraint_scenarios_not_only_points():
    answers = level_two_example()
    answers["scenarios"]["finance"] = 1  # only two constraint scenarios at level 2 now
    answers["scenarios"]["decision"] = 2  # still six scenarios at level 2
    result = score(INDEX, answers)
    assert result.base == D("50.05") and result.level == 1


def test_level_3_needs_60_points_and_eight_scenarios_of_which_five_constraint():
    answers = full_marks()
    answers["items"]["systems"] = "none"  # 90 points
    answers["scenarios"] = {s["key"]: 2 for s in INDEX["scenarios"]}
    for key in (
        "product_design",
        "marketing",
        "production",
        "quality",
        "equipment",
        "scheduling",
        "hr",
        "office",
    ):
        answers["scenarios"][key] = 3  # 8 at level 3, 5 of them constraint
    assert score(INDEX, answers).level == 3
    answers["scenarios"]["equipment"] = 2
    answers["scenarios"]["decision"] = 3  # still 8, but only 4 constraint
    assert score(INDEX, answers).level == 2


def test_bad_inputs_are_reported_not_raised():
    result = score(
        INDEX,
        {
            "items": {"systems": "bogus", "network": ["x"]},
            "inputs": {"devices_total": 10, "devices_networked": 20},
            "scenarios": {"quality": 9},
        },
    )
    assert result.level == 0
    assert any("联网设备数量不能多于生产设备数量" in p for p in result.problems)
    assert any("选项无效" in p for p in result.problems)


def test_unconfirmed_numbers_are_marked_in_the_data():
    assert (
        "the level rule (taken from an independent implementation, not the official text)"
        in INDEX["unconfirmed"]
    )
    funding = next(i for d in INDEX["dimensions"] for i in d["items"] if i["key"] == "funding")
    assert funding.get("unconfirmed") is True


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("0", "零元整"),
        ("1", "壹元整"),
        ("100000", "壹拾万元整"),
        ("107000.53", "壹拾万柒仟元零伍角叁分"),  # examples of 支付结算办法 附一
        ("1409.50", "壹仟肆佰零玖元伍角"),
        ("6007.14", "陆仟零柒元壹角肆分"),
        ("1680.32", "壹仟陆佰捌拾元零叁角贰分"),
        ("325.04", "叁佰贰拾伍元零肆分"),
        ("100100", "壹拾万零壹佰元整"),
        ("1000001", "壹佰万零壹元整"),
        ("123456789.12", "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
    ],
)
def test_amounts_in_capital_numerals(amount, words):
    assert rmb_upper(amount) == words


def test_task_book_budgets_in_wan_yuan():
    """Budgets are kept in 万元 and written in capitals in 元 (002 附3)."""
    assert wan_to_upper("35.5") == "叁拾伍万伍仟元整"
    assert wan_to_upper("120") == "壹佰贰拾万元整"
