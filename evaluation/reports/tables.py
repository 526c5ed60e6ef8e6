"""The official reports as registered list exporters: each is rebuilt from the requester's
visibility and ``?bureau=`` (plus its own choice: sub-industry, quarter, call), so the generic
export view writes its XLSX and CSV and ``report_views`` prints it as a PDF.

The layouts are the seeds' forms, so their labels stay in Chinese like the other official
exporters; units are the forms' (万元, 家, 个, %).
"""

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _
from openpyxl.utils import get_column_letter

from applications.exports import RecommendationSummary
from applications.models import Call
from pilots.models import LeadingUnit, PilotEnterprise
from portal import exporters
from portal.bureau_scope import report_bureau
from portal.models import Bureau
from portal.visibility import Visibility

from .. import performance
from . import figures

LEVEL_NAMES = {0: "未评测", 1: "一级", 2: "二级", 3: "三级", 4: "四级"}
KIND_NAMES: dict[str, str] = {
    LeadingUnit.Kind.INDUSTRY_CHAIN.value: "产业链牵引企业",
    LeadingUnit.Kind.SUPPLY_CHAIN.value: "供应链龙头企业",
}
OUTCOME_NAMES = {"passed": "达标", "failed": "不达标", "absent": "未参加评价"}


def _num(value: Decimal | int | None) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, int) or value == value.to_integral_value():
        return int(value)
    return float(value)


def _span(first_col: int, first_row: int, last_col: int, last_row: int) -> str:
    return f"{get_column_letter(first_col)}{first_row}:{get_column_letter(last_col)}{last_row}"


def _int_param(params: Mapping[str, str], key: str, low: int, high: int) -> int | None:
    raw = str(params.get(key) or "").strip()
    if raw.isdigit() and len(raw) <= 4 and low <= int(raw) <= high:
        return int(raw)
    return None


class Report(exporters.Exporter):
    """A report over one bureau's subtree (the whole portal for an operator without a choice)."""

    listable = True
    seed: ClassVar[str] = ""
    title: ClassVar[str] = ""
    width: int = 1

    def __init__(self, *, bureau: Bureau | None) -> None:
        self.bureau = bureau

    @classmethod
    def from_params(cls, *, visibility: Any, params: Mapping[str, str]) -> "Report":
        return cls(bureau=report_bureau(visibility, params))

    @classmethod
    def variants(cls, visibility: Visibility, bureau: Bureau | None) -> list[tuple[str, dict]]:
        """The copies the reports page lists: (label, extra query parameters)."""
        return [("", {})]

    @property
    def region(self) -> str:
        return self.bureau.region_name if self.bureau is not None else "全部"

    def sheet_title(self) -> str:
        return self.seed or self.identifier

    def filename(self) -> str:
        return f"{self.title}-{self.region}"

    def title_rows(self) -> Iterable[Sequence[Any]]:
        return [[self.title], [f"地区：{self.region}"]]

    def header_start(self) -> int:
        """The sheet row of the first header row."""
        return len(list(self.title_rows())) + 1

    def merged_cells(self) -> Iterable[str]:
        return [_span(1, 1, self.width, 1)]


@exporters.register
class PerformanceTargetsReport(Report):
    """003 附件 附2 实施方案绩效目标表: each indicator's target and the portal's count at the end of
    each year of the plan."""

    identifier = "report_targets"
    verbose_name = _("Performance targets (003 annex 2)")
    seed = "003 附2"
    title = "实施方案绩效目标表"
    column_widths = (44, 14, 14, 14, 14, 14, 14)

    def __init__(self, *, bureau: Bureau | None) -> None:
        super().__init__(bureau=bureau)
        self.figures = figures.target_figures(bureau)
        self.width = 1 + 2 * len(self.figures.years)

    def title_rows(self) -> Iterable[Sequence[Any]]:
        return [[self.title], [f"地区：{self.region}", "", "单位：个、万元"]]

    def header_rows(self) -> Sequence[Sequence[Any]]:
        first: list[Any] = ["绩效指标"]
        second: list[Any] = [""]
        for year in self.figures.years:
            first += [f"指标值（截至{year}年底）", ""]
            second += ["目标值", "完成值"]
        return [first, second]

    def headers(self) -> Sequence[Any]:
        return self.header_rows()[0]

    def merged_cells(self) -> Iterable[str]:
        top = self.header_start()
        spans = [*super().merged_cells(), _span(1, top, 1, top + 1)]
        for index in range(len(self.figures.years)):
            column = 2 + 2 * index
            spans.append(_span(column, top, column + 1, top))
        return spans

    def iterate_list(self) -> Iterable[Sequence[Any]]:
        data = self.figures
        for key, label in figures.TARGET_INDICATORS:
            row: list[Any] = [label]
            for year in data.years:
                target = data.targets.get((key, year))
                if key == "models":
                    supply, industry = data.models[year]
                    row += ["", f"{supply} 个供应链模式，{industry} 个产业链模式"]
                else:
                    row += [_num(target), _num(data.actuals[(key, year)])]
            yield row

    def footer_rows(self) -> Iterable[Sequence[Any]]:
        return [
            [
                "注：完成值由平台统计，改造中小企业以签订改造任务书计，总投资以任务书预算计，"
                "平台项目以平台和服务类资金支出计（003 §四、§五）。"
            ]
        ]


@exporters.register
class MainDataReport(Report):
    """002 附1 实施方案主要数据表: the county plans' figures against the portal's, with the ratios
    C/A, D/B, E/B, F/B computed from the figures."""

    identifier = "report_main_data"
    verbose_name = _("Main data table (002 annex 1)")
    seed = "002 附1"
    title = "实施方案主要数据表"
    width = 4
    column_widths = (18, 60, 16, 16)

    def __init__(self, *, bureau: Bureau | None) -> None:
        super().__init__(bureau=bureau)
        self.data = figures.main_data(bureau)

    def title_rows(self) -> Iterable[Sequence[Any]]:
        clusters = "、".join(self.data.clusters) or "—"
        return [
            [self.title],
            [f"申报试点县（市、区）名称：{self.region}", "", f"特色产业集群及细分行业：{clusters}"],
        ]

    def headers(self) -> Sequence[Any]:
        return ["类别", "指标", "实施方案数值", "平台统计数值"]

    def iterate_list(self) -> Iterable[Sequence[Any]]:
        for key, label in figures.MAIN_DATA_ROWS:
            group = "基准年数据（截止上年度）" if key in figures.BASELINE else "目标数据"
            yield [group, label, _num(self.data.planned[key]), _num(self.data.actual[key])]

    def merged_cells(self) -> Iterable[str]:
        first = self.header_start() + 1
        baseline = len(figures.BASELINE)
        last = first + len(figures.MAIN_DATA_ROWS) - 1
        return [
            *super().merged_cells(),
            _span(1, first, 1, first + baseline - 1),
            _span(1, first + baseline, 1, last),
        ]

    def footer_rows(self) -> Iterable[Sequence[Any]]:
        return [
            ["注：占比 = 数值C/数值A、数值D/数值B、数值E/数值B、数值F/数值B × 100%，由平台计算。"]
        ]


@exporters.register
class SubIndustryReport(Report):
    """003 附件 附1 实施方案细分行业情况表, one per sub-industry."""

    identifier = "report_sub_industry"
    verbose_name = _("Sub-industry table (003 annex 1)")
    seed = "003 附1"
    title = "实施方案细分行业情况表"
    width = 4
    column_widths = (34, 40, 30, 30)
    wrap_text = True

    def __init__(self, *, bureau: Bureau | None, name: str) -> None:
        super().__init__(bureau=bureau)
        self.data = figures.sub_industry(bureau, name)

    @classmethod
    def from_params(cls, *, visibility: Any, params: Mapping[str, str]) -> "Report":
        bureau = report_bureau(visibility, params)
        names = figures.sub_industry_names(bureau)
        name = str(params.get("sub_industry") or "")
        return cls(bureau=bureau, name=name if name in names else (names[0] if names else ""))

    @classmethod
    def variants(cls, visibility: Visibility, bureau: Bureau | None) -> list[tuple[str, dict]]:
        return [(n, {"sub_industry": n}) for n in figures.sub_industry_names(bureau)]

    def filename(self) -> str:
        return f"{self.title}-{self.region}-{self.data.name}"

    def title_rows(self) -> Iterable[Sequence[Any]]:
        return [[f"{self.title}（{self.data.name or '—'}）"], [f"地区：{self.region}"]]

    def headers(self) -> Sequence[Any]:
        return [
            "试点细分行业",
            self.data.name,
            "拟试点区县（中小企业主要集聚地）",
            "、".join(self.data.counties),
        ]

    def iterate_list(self) -> Iterable[Sequence[Any]]:
        data = self.data
        tiers = data.tiers
        key_smes = (
            f"平台试点企业 {data.enterprises} 家，其中专精特新“小巨人”企业 "
            f"{tiers.get(PilotEnterprise.Tier.LITTLE_GIANT, 0)} 个，专精特新企业 "
            f"{tiers.get(PilotEnterprise.Tier.SPECIALISED, 0)} 个，创新型中小企业 "
            f"{tiers.get(PilotEnterprise.Tier.INNOVATIVE, 0)} 个"
        )
        texts = data.texts
        for label, value in (
            ("细分行业工业总产值（亿元）", _num(data.numbers["gross_output"])),
            ("细分行业规上工业产值（亿元）", _num(data.numbers["above_scale_output"])),
            ("细分行业规上工业中小企业总数（个）", _num(data.numbers["above_scale_smes"])),
            ("细分行业规下工业中小企业总概数（个）", _num(data.numbers["below_scale_smes"])),
            ("细分行业重点中小企业情况", "；".join([key_smes, *texts["key_smes"]])),
            ("细分行业中小企业相关试点示范情况", "；".join(texts["pilots"])),
            ("细分行业中小企业相关载体情况", "；".join(texts["carriers"])),
            ("细分行业中小企业数字化供给情况", "；".join(texts["supply"])),
            ("细分行业中小企业相关资质、称号等情况", "；".join(texts["titles"])),
        ):
            yield [label, value, "", ""]

    def merged_cells(self) -> Iterable[str]:
        first = self.header_start() + 1
        return [*super().merged_cells()] + [_span(2, r, 4, r) for r in range(first, first + 9)]


@exporters.register
class LevelDistributionReport(Report):
    """Pilot enterprises by digital level before and after transformation, per sub-industry
    (levels 一级…四级 of the 2024 index; level 2 or above counts, 003 §三)."""

    identifier = "report_levels"
    verbose_name = _("Digital levels before and after")
    seed = "数字化水平"
    title = "试点企业改造前后数字化水平分布表"
    width = 13
    column_widths = (24, 10, *([8] * 10), 14)

    def __init__(self, *, bureau: Bureau | None) -> None:
        super().__init__(bureau=bureau)
        self.rows = figures.level_distribution(bureau)

    def title_rows(self) -> Iterable[Sequence[Any]]:
        return [[self.title], [f"地区：{self.region}", "", "单位：家、%"]]

    def header_rows(self) -> Sequence[Sequence[Any]]:
        levels = [LEVEL_NAMES[n] for n in (0, *figures.LEVELS)]
        return [
            [
                "细分行业",
                "试点企业数",
                "改造前",
                "",
                "",
                "",
                "",
                "改造后",
                "",
                "",
                "",
                "",
                "二级及以上占比",
            ],
            ["", "", *levels, *levels, ""],
        ]

    def headers(self) -> Sequence[Any]:
        return self.header_rows()[0]

    def merged_cells(self) -> Iterable[str]:
        top = self.header_start()
        return [
            *super().merged_cells(),
            _span(1, top, 1, top + 1),
            _span(2, top, 2, top + 1),
            _span(3, top, 7, top),
            _span(8, top, 12, top),
            _span(13, top, 13, top + 1),
        ]

    @staticmethod
    def _row(label: str, row: figures.LevelRow) -> list[Any]:
        share = figures.ratio(row.reached, row.enterprises)
        return [
            label,
            row.enterprises,
            *(row.before[n] for n in (0, *figures.LEVELS)),
            *(row.after[n] for n in (0, *figures.LEVELS)),
            _num(share) if share is not None else None,
        ]

    def iterate_list(self) -> Iterable[Sequence[Any]]:
        for row in self.rows:
            yield self._row(row.sub_industry, row)

    def footer_rows(self) -> Iterable[Sequence[Any]]:
        total = figures.LevelRow("合计")
        for row in self.rows:
            total.enterprises += row.enterprises
            for n in (0, *figures.LEVELS):
                total.before[n] += row.before[n]
                total.after[n] += row.after[n]
        return [self._row("合计", total)]


@exporters.register
class UnitRankingReport(Report):
    """The leading units' quarterly evaluation ranked by total (004 §3.2: completed enterprises,
    effect, satisfaction, capability, task-book completion)."""

    identifier = "report_unit_ranking"
    verbose_name = _("Leading units' quarterly ranking (004 §3)")
    seed = "004 §3"
    title = "数字化牵引单位季度绩效评价排名表"
    column_widths = (8, 30, 16, 24, 14, 14, 14, 14, 14, 10, 12)

    def __init__(self, *, bureau: Bureau | None, year: int, quarter: int) -> None:
        super().__init__(bureau=bureau)
        self.year, self.quarter = year, quarter
        self.evaluations = figures.unit_ranking(bureau, year, quarter)
        try:
            self.indicators = performance.indicator_set().definition["indicators"]
        except LookupError:
            self.indicators = []
        self.width = 6 + len(self.indicators)

    @classmethod
    def from_params(cls, *, visibility: Any, params: Mapping[str, str]) -> "Report":
        bureau = report_bureau(visibility, params)
        year = _int_param(params, "year", 2000, 2100)
        quarter = _int_param(params, "quarter", 1, 4)
        if year is None or quarter is None:
            quarters = figures.evaluated_quarters(bureau)
            year, quarter = quarters[0] if quarters else _last_quarter()
        return cls(bureau=bureau, year=year, quarter=quarter)

    @classmethod
    def variants(cls, visibility: Visibility, bureau: Bureau | None) -> list[tuple[str, dict]]:
        quarters = figures.evaluated_quarters(bureau)[:4] or [_last_quarter()]
        return [
            (str(performance.quarter_label(y, q)), {"year": str(y), "quarter": str(q)})
            for y, q in quarters
        ]

    def filename(self) -> str:
        return f"{self.title}-{self.region}-{self.year}Q{self.quarter}"

    def title_rows(self) -> Iterable[Sequence[Any]]:
        return [
            [self.title],
            [f"地区：{self.region}", "", f"评价期：{self.year}年第{self.quarter}季度"],
        ]

    def header_rows(self) -> Sequence[Sequence[Any]]:
        labels = [f"{i['label']}（{i['max']}分）" for i in self.indicators]
        spacer = [""] * max(len(labels) - 1, 0)
        return [
            ["排名", "牵引单位", "类型", "主管部门", "评价指标得分", *spacer, "总分", "评价结果"],
            ["", "", "", "", *labels, "", ""],
        ]

    def headers(self) -> Sequence[Any]:
        return self.header_rows()[0]

    def merged_cells(self) -> Iterable[str]:
        top = self.header_start()
        spans = [*super().merged_cells()]
        spans += [_span(c, top, c, top + 1) for c in (1, 2, 3, 4, self.width - 1, self.width)]
        if len(self.indicators) > 1:
            spans.append(_span(5, top, 4 + len(self.indicators), top))
        return spans

    def iterate_list(self) -> Iterable[Sequence[Any]]:
        rank, previous = 0, None
        for position, evaluation in enumerate(self.evaluations, 1):
            if evaluation.total != previous:  # equal totals share a rank
                rank, previous = position, evaluation.total
            unit = evaluation.leading_unit
            yield [
                rank if evaluation.total is not None else None,
                unit.organization.name,
                KIND_NAMES.get(unit.kind, unit.kind),
                unit.bureau.name,
                *(_num(_decimal(evaluation.scores.get(i["key"]))) for i in self.indicators),
                _num(evaluation.total),
                OUTCOME_NAMES.get(evaluation.outcome, evaluation.outcome),
            ]

    def footer_rows(self) -> Iterable[Sequence[Any]]:
        passed = sum(1 for e in self.evaluations if e.outcome == "passed")
        return [[f"合计：评价 {len(self.evaluations)} 家，达标 {passed} 家"]]


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except ArithmeticError:
        return None


def _last_quarter() -> tuple[int, int]:
    from django.utils import timezone

    return performance.previous_quarter(*performance.quarter_of(timezone.localdate()))


@exporters.register
class FundUseReport(Report):
    """Fund use by category with the 80/20 split (003 §四(二): 不低于80% on enterprises'
    transformation, 不高于20% on platforms and services), one row per programme."""

    identifier = "report_funds"
    verbose_name = _("Fund use by category (003 §4)")
    seed = "003 §四"
    title = "奖补资金使用情况表"
    width = 11
    column_widths = (40, 24, 12, 12, 12, 10, 12, 10, 12, 14, 10)

    def __init__(self, *, bureau: Bureau | None) -> None:
        super().__init__(bureau=bureau)
        self.rows = figures.fund_rows(bureau)

    def title_rows(self) -> Iterable[Sequence[Any]]:
        return [[self.title], [f"地区：{self.region}", "", "单位：万元、%"]]

    def header_rows(self) -> Sequence[Sequence[Any]]:
        return [
            [
                "试点",
                "实施主体",
                "奖补资金",
                "已拨付",
                "企业数字化改造",
                "",
                "平台和服务",
                "",
                "已使用合计",
                "平台和服务上限（20%）",
                "是否符合",
            ],
            ["", "", "", "", "金额", "占比", "金额", "占比", "", "", ""],
        ]

    def headers(self) -> Sequence[Any]:
        return self.header_rows()[0]

    def merged_cells(self) -> Iterable[str]:
        top = self.header_start()
        spans = [*super().merged_cells()]
        spans += [_span(c, top, c, top + 1) for c in (1, 2, 3, 4, 9, 10, 11)]
        spans += [_span(5, top, 6, top), _span(7, top, 8, top)]
        return spans

    @staticmethod
    def _row(name: str, who: str, split: Any) -> list[Any]:
        return [
            name,
            who,
            _num(split.allocation),
            _num(split.released),
            _num(split.transformation),
            _num(split.transformation_share),
            _num(split.platforms),
            _num(split.platforms_share),
            _num(split.spent),
            _num(split.platforms_ceiling),
            "是" if split.platforms_ok and split.transformation_ok else "否",
        ]

    def iterate_list(self) -> Iterable[Sequence[Any]]:
        for row in self.rows:
            yield self._row(row.programme.name, row.programme.bureau.name, row.split)

    def footer_rows(self) -> Iterable[Sequence[Any]]:
        return [self._row("合计", "", figures.total_split(self.rows))]


@exporters.register
class RecommendationReport(RecommendationSummary):
    """001 附件4 推荐汇总表 for a bureau's subtree: at a city, every county's recommended rows."""

    identifier = "report_recommendations"
    verbose_name = _("Recommendation summary (001 annex 4)")
    listable = True
    column_widths = (6, 30, 22, 12, 20, 16, 10, 24, 12)

    def __init__(self, *, call: Call | None, bureau: Bureau | None) -> None:
        self.bureau = bureau
        rows = figures.recommended_applications(bureau, call) if call is not None else []
        super().__init__(call=call or Call(title="—"), applications=rows)
        self.rows = rows

    @classmethod
    def from_params(cls, *, visibility: Any, params: Mapping[str, str]) -> "RecommendationReport":
        bureau = report_bureau(visibility, params)
        calls = figures.recommendation_calls(bureau)
        raw = str(params.get("call") or "").strip()
        chosen = int(raw) if raw.isdigit() and len(raw) < 10 else None
        call = next((c for c in calls if c.pk == chosen), calls[0] if calls else None)
        return cls(call=call, bureau=bureau)

    @classmethod
    def variants(cls, visibility: Visibility, bureau: Bureau | None) -> list[tuple[str, dict]]:
        return [(c.title, {"call": str(c.pk)}) for c in figures.recommendation_calls(bureau)]

    def filename(self) -> str:
        region = self.bureau.region_name if self.bureau is not None else "全部"
        return f"推荐汇总表-{region}-{self.call.pk or ''}"

    def title_rows(self) -> Iterable[Sequence[Any]]:
        region = self.bureau.region_name if self.bureau is not None else "全部"
        # 001 附件4 is titled by the calling city: 江门市制造业数字化转型标杆示范推荐汇总表.
        issuer = self.call.bureau.region_name if self.call.bureau_id else ""
        return [
            [f"{issuer}制造业数字化转型标杆示范推荐汇总表"],
            [f"{self.call.title} {self.call.document_number}".strip()],
            [f"推荐单位：{region}"],
        ]

    def merged_cells(self) -> Iterable[str]:
        return ["A1:I1"]

    def footer_rows(self) -> Iterable[Sequence[Any]]:
        recommended = sum(1 for a in self.rows if a.status not in ("submitted", "not_recommended"))
        return [[f"合计：{len(self.rows)} 家，其中推荐 {recommended} 家"]]


REPORTS: tuple[type[exporters.Exporter], ...] = (
    PerformanceTargetsReport,
    MainDataReport,
    SubIndustryReport,
    LevelDistributionReport,
    UnitRankingReport,
    FundUseReport,
    RecommendationReport,
)
