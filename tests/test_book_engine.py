"""The template engine against the seeds' rules, with worked examples."""

from decimal import Decimal

import pytest
from django.utils import translation

from applications.templates_loader import shipped_definitions
from portal.book import Book, TemplateError, validate_definition
from tests.books import post, table_post

TEMPLATES = {d["kind"]: d for d in shipped_definitions()}


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def evaluate(kind, key, data):
    book = Book(TEMPLATES[kind])
    return book.evaluate(key, book.raw_from_post(key, post(data)))


MAIN_DATA = {
    "region": "苏中",
    "cluster": "常州市武进区智能装备集群",
    "sub_industry": "智能装备—数控机床",
    "industry_1650": "高端装备",
    "gross_output": "320.5",
    "sme_total": "900",
    "above_scale_total": "240",
    "a_specialized": "40",
    "above_scale_planned": "60",
    "below_scale_planned": "30",
    "c_specialized": "25",
    "d_cloud": "72",
    "e_level": "81",
    "f_benchmarks": "9",
    "solutions": "12",
    "provider_pool": "20",
    "replicate": "150",
    "centers": "1",
    "chain_mode": "链主带动上下游协同改造",
    "practices": "“数字化诊断券”",
}


def test_the_jiangsu_main_data_table_computes_every_ratio():
    """002 附1 主要数据表: B = 规上 + 规下; C/A, D/B, E/B, F/B are computed, never typed."""
    values, issues = evaluate("county_plan", "main_data", MAIN_DATA)
    assert issues == []
    assert values["b_total"] == Decimal(90)  # 60 + 30
    assert values["ratio_c_a"] == Decimal("62.50")  # 25 / 40
    assert values["ratio_d_b"] == Decimal("80.00")  # 72 / 90
    assert values["ratio_e_b"] == Decimal("90.00")  # 81 / 90
    assert values["ratio_f_b"] == Decimal("10.00")  # 9 / 90


def test_typed_ratios_are_ignored_and_a_zero_denominator_gives_no_ratio():
    values, _issues = evaluate(
        "county_plan", "main_data", {**MAIN_DATA, "ratio_c_a": "99", "a_specialized": "0"}
    )
    assert values["ratio_c_a"] is None
    values, _issues = evaluate(
        "county_plan",
        "main_data",
        {**MAIN_DATA, "above_scale_planned": "", "below_scale_planned": "30"},
    )
    assert values["b_total"] is None and values["ratio_d_b"] is None


@pytest.mark.parametrize(
    ("region", "planned", "ok"),
    [
        ("苏南", 99, False),
        ("苏南", 100, True),
        ("苏中", 80, True),
        ("苏中", 79, False),
        ("苏北", 50, True),
        ("苏北", 49, False),
    ],
)
def test_county_enterprise_minimums_by_region(region, planned, ok):
    """≥100 / 80 / 50 enterprises per Jiangsu county by region (002 §二)."""
    book = Book(TEMPLATES["county_plan"])
    data = {
        **MAIN_DATA,
        "region": region,
        "above_scale_planned": str(planned),
        "below_scale_planned": "0",
    }
    _per_section, cross = book.check({"main_data": book.raw_from_post("main_data", post(data))}, {})
    assert (cross == []) is ok


@pytest.mark.parametrize(
    ("region", "target", "ok"),
    [
        ("珠三角地区", 349, False),
        ("珠三角地区", 350, True),
        ("粤东粤西粤北地区", 200, True),
        ("粤东粤西粤北地区", 199, False),
    ],
)
def test_city_pilot_enterprise_minimums(region, target, ok):
    """≥350 (Pearl River Delta) / ≥200 enterprises per city pilot (003 §三(四))."""
    book = Book(TEMPLATES["city_plan"])
    answers = {"cover": {"region": region}, "targets": {"smes_2025": str(target)}}
    _per_section, cross = book.check(answers, {})
    assert (cross == []) is ok


def test_a_city_plan_takes_at_most_five_sub_industries():
    """≤5 sub-industries per city (003 §三(一))."""
    book = Book(TEMPLATES["city_plan"])
    rows = [
        {
            "name": f"行业{i}",
            "counties": "蓬江区",
            "gross_output": "10",
            "above_scale_output": "5",
            "above_scale_smes": "10",
            "below_scale_smes": "50",
            "key_smes": "小巨人1个",
        }
        for i in range(6)
    ]
    _values, issues = book.evaluate(
        "sub_industry_table", book.raw_from_post("sub_industry_table", table_post(rows))
    )
    assert any("最多允许 5 行" in i.message for i in issues)


def benchmark_answers(**overrides):
    answers = {
        "direction": {"direction": "方向一：示范企业", "running": "yes"},
        "assessment": {"level": "二级", "score": "45"},
        "funding": {"prior_funding": "否"},
    }
    for path, value in overrides.items():
        section, field = path.split("__")
        answers[section][field] = value
    return answers


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, []),
        ({"assessment__level": "一级"}, ["原则上需达到数字化二级及以上水平（001 §二(三)）。"]),
        (
            {"direction__running": ""},
            ["截至申报截止时间，申报项目应已建设完成，且仍正常使用和运转（001 §二(六)）。"],
        ),
        (
            {"funding__prior_funding": "是"},
            ["已获专项资金支持的企业不再重复申报示范企业（001 §二(四)）。"],
        ),
        (
            {"funding__prior_funding": "是", "direction__direction": "方向二：示范车间"},
            [],
        ),  # the rule is for demo enterprises
    ],
)
def test_benchmark_conditions(overrides, expected):
    """Level ≥ 2, finished and running, no double funding for demo enterprises (001 §二)."""
    _per_section, cross = Book(TEMPLATES["benchmark"]).check(benchmark_answers(**overrides), {})
    assert [i.message for i in cross] == expected


@pytest.mark.parametrize(
    ("spec", "raw", "message"),
    [
        ({"type": "integer", "min": 1}, "0", "不得小于 1。"),
        ({"type": "integer"}, "12.5", "请输入整数。"),
        ({"type": "decimal"}, "1.234", "最多保留 2 位小数。"),
        ({"type": "decimal"}, "NaN", "请输入数字，如 12.5。"),
        ({"type": "decimal"}, "1e400", "数值过大。"),
        ({"type": "date"}, "2025-02-30", "请按“年-月-日”格式填写日期，如 2025-09-20。"),
        ({"type": "phone"}, "12345", "请填写手机号或带区号的固定电话，如 0750-3279722。"),
        ({"type": "uscc"}, "914403001922038217", "校验码（最后一位）不正确，请对照营业执照核对。"),
        ({"type": "choice", "choices": ["是", "否"]}, "<script>", "不是可选项：<script>"),
        ({"type": "text", "max_length": 5}, "一二三四五六", "最多 5 字，目前 6 字。"),
    ],
)
def test_values_get_clear_messages(spec, raw, message):
    value, found = Book({"sections": []}).parse_value({"key": "x", "label": "x", **spec}, raw)
    assert found == message


def test_what_was_typed_is_kept_even_when_invalid():
    book = Book(TEMPLATES["leading_unit"], sub_industries=["五金制品及零配件"])
    raw = book.raw_from_post("basic_info", post({"founded_on": "2015-13-01", "employees": "一百"}))
    assert raw["founded_on"] == "2015-13-01" and raw["employees"] == "一百"
    _values, issues = book.evaluate("basic_info", raw)
    assert {i.field for i in issues} >= {"founded_on", "employees"}


@pytest.mark.parametrize(
    "definition",
    [
        {},
        {"sections": []},
        {"sections": [{"key": "A b", "type": "fields", "title": "x"}]},
        {"sections": [{"key": "a", "type": "bogus", "title": "x"}]},
        {
            "sections": [
                {
                    "key": "a",
                    "type": "fields",
                    "title": "x",
                    "fields": [{"key": "f", "label": "F", "type": "money"}],
                }
            ]
        },
        {
            "sections": [{"key": "a", "type": "richtext", "title": "x"}],
            "rules": [{"type": "eval", "message": "m"}],
        },
    ],
)
def test_malformed_templates_are_refused(definition):
    with pytest.raises(TemplateError):
        validate_definition(definition)
