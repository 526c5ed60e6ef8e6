"""The figures of the official reports, computed from the portal's rows for one bureau's subtree.

Every function runs a fixed number of aggregate queries, whatever the number of rows, inside the
caller's visibility scope. The figures of a bureau are the sum of its children's (a province's of
its cities', a city's of its counties'): counts and amounts add up; ratios are computed from the
summed figures, never summed themselves (002 附1: 占比 = 数值C/数值A × 100%).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db.models import Count, IntegerField, Min, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from applications.models import Application, ApplicationSection, Call
from pilots.models import (
    Assessment,
    BenchmarkTitle,
    EnterpriseFileSection,
    FundTranche,
    FundUse,
    LeadingUnit,
    PilotEnterprise,
    PilotProgramme,
    Product,
    ProgrammeTarget,
    ServiceProvider,
    TaskBook,
)
from pilots.selectors import SIGNED, FundSplit
from portal.book import Book
from portal.bureau_scope import city_of, within
from portal.models import Bureau

from ..models import QuarterlyEvaluation

SPECIALISED_TIERS = [PilotEnterprise.Tier.SPECIALISED, PilotEnterprise.Tier.LITTLE_GIANT]
CLOUD_USED = ["公有云", "私有云", "混合云"]  # 一企一档 三 云应用情况, every answer but 未上云
LEVELS = (1, 2, 3, 4)  # 一级…四级 (2024 index); 0 = not assessed
# The seed's years of the performance-target table (003 附件 附2: 截至2024年底 / 截至2025年底).
SEED_TARGET_YEARS = (2024, 2025)


def _year_end(year: int) -> datetime:
    return timezone.make_aware(datetime.combine(date(year, 12, 31), time.max))


def _number(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def ratio(numerator: Decimal | int | None, denominator: Decimal | int | None) -> Decimal | None:
    """A share in %, to two places: the book engine's own formula (``portal.book.compute``)."""
    if numerator is None or not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def _plan_sections(bureau: Bureau | None, key: str) -> list[tuple[ApplicationSection, Book]]:
    """The answered ``key`` section of every approved plan in the subtree, with its book."""
    sections = ApplicationSection.objects.filter(
        within(bureau, "application__programme__bureau"),
        application__programme__isnull=False,
        key=key,
    ).select_related("application__call__template")
    return [
        (s, Book(s.application.call.template.definition))
        for s in sections
        if any(sec["key"] == key for sec in s.application.call.template.definition["sections"])
    ]


# --- 003 附2 实施方案绩效目标表 ---------------------------------------------------------------------
TARGET_INDICATORS = (
    ("sub_industries", "改造细分行业数量（个）"),
    ("smes", "改造中小企业数量（个）"),
    ("investment", "带动中小企业数字化改造项目总投资投入（万元）"),
    ("models", "支持产业链/供应链数字化转型模式数量（个）"),
    ("platforms", "培育产业链供应链数字化转型平台项目数量（个）"),
    ("solutions", "打造数字化解决方案数量（个）"),
)


@dataclass
class TargetFigures:
    years: list[int]
    # (indicator, year) → the approved plans' target, summed; missing when no plan names one.
    targets: dict[tuple[str, int], Decimal] = field(default_factory=dict)
    # (indicator, year) → the portal's count at that year's end (today for a year not over).
    actuals: dict[tuple[str, int], Decimal] = field(default_factory=dict)
    # year → (supply-chain, industry-chain) leading units supported (例: X 个供应链模式, X 个产业链模式)
    models: dict[int, tuple[int, int]] = field(default_factory=dict)


def target_figures(bureau: Bureau | None) -> TargetFigures:
    """Targets at each year's end against what the portal counts by then (003 附件 附2; 003 §五):
    sub-industries and enterprises transformed (task book signed, as the programme page counts
    them), the signed task books' budgets, leading units by chain model, platform and service projects
    funded (003 §四(二)), and the solutions (products) in the catalogue."""
    stored = (
        ProgrammeTarget.objects.filter(
            within(bureau, "programme__bureau"), metric=ProgrammeTarget.Metric.TRANSFORMED
        )
        .values("year")
        .annotate(total=Sum("value"))
        .order_by("year")
    )
    targets: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for row in stored:
        targets[("smes", row["year"])] += Decimal(row["total"])
    for section, _book in _plan_sections(bureau, "targets"):
        for key, _label in TARGET_INDICATORS:
            for year in SEED_TARGET_YEARS:
                value = _number(section.data.get(f"{key}_{year}"))
                if value is not None and key != "models":
                    targets[(key, year)] += value
    # The years the plans set targets for; without one, the last two year ends (the form has two).
    this_year = timezone.localdate().year
    years = sorted({year for _key, year in targets}) or [this_year - 1, this_year]
    figures = TargetFigures(years=years, targets=dict(targets))

    ends = {year: _year_end(year) for year in years}
    enterprises = PilotEnterprise.objects.filter(within(bureau, "bureau"), status__in=SIGNED)
    counted = enterprises.aggregate(
        **{f"y{y}": Count("pk", filter=Q(enrolled_at__lte=end)) for y, end in ends.items()}
    )
    pairs = enterprises.values("bureau__path", "sub_industry").annotate(first=Min("enrolled_at"))
    budgets = TaskBook.objects.filter(
        within(bureau, "enterprise__bureau"), status=TaskBook.Status.SIGNED
    ).aggregate(
        **{
            f"y{y}": Sum("budget_wan", filter=Q(starts_on__lte=end.date()))
            for y, end in ends.items()
        }
    )
    units = LeadingUnit.objects.filter(within(bureau, "bureau")).exclude(
        status=LeadingUnit.Status.REMOVED
    )
    unit_counts = units.aggregate(
        **{
            f"{kind}{y}": Count("pk", filter=Q(kind=kind, selected_at__lte=end))
            for y, end in ends.items()
            for kind in LeadingUnit.Kind.values
        }
    )
    platforms = FundUse.objects.filter(
        within(bureau, "programme__bureau"), category=FundUse.Category.PLATFORMS
    ).aggregate(
        **{f"y{y}": Count("pk", filter=Q(spent_on__lte=end.date())) for y, end in ends.items()}
    )
    solutions = Product.objects.filter(within(bureau, "provider__bureau")).count()
    for year, end in ends.items():
        seen = {(city_of(p["bureau__path"]), p["sub_industry"]) for p in pairs if p["first"] <= end}
        supply = unit_counts[f"{LeadingUnit.Kind.SUPPLY_CHAIN}{year}"]
        industry = unit_counts[f"{LeadingUnit.Kind.INDUSTRY_CHAIN}{year}"]
        figures.models[year] = (supply, industry)
        figures.actuals.update(
            {
                ("sub_industries", year): Decimal(len(seen)),
                ("smes", year): Decimal(counted[f"y{year}"]),
                ("investment", year): budgets[f"y{year}"] or Decimal(0),
                ("models", year): Decimal(supply + industry),
                ("platforms", year): Decimal(platforms[f"y{year}"]),
                ("solutions", year): Decimal(solutions),
            }
        )
    return figures


# --- 002 附1 实施方案主要数据表 ---------------------------------------------------------------------
# (key of the county plan's main_data field, label of the official table, portal actual or None)
MAIN_DATA_ROWS = (
    ("gross_output", "试点行业工业总产值（亿元）"),
    ("sme_total", "试点行业工业中小企业总数（家）"),
    ("above_scale_total", "试点行业规上工业中小企业总数（家）"),
    ("a_specialized", "试点行业专精特新中小企业数量（家）（数值A）"),
    ("above_scale_planned", "拟改造规上工业中小企业数量（家）"),
    ("below_scale_planned", "拟改造规下工业中小企业数量（家）"),
    ("b_total", "拟改造企业合计（家）（数值B）"),
    ("c_specialized", "拟改造企业中专精特新中小企业数量（家）（数值C）"),
    ("ratio_c_a", "占比 C/A（%）"),
    ("d_cloud", "拟上云用云中小企业数量（家）（数值D）"),
    ("ratio_d_b", "占比 D/B（%）"),
    ("e_level", "拟达到数字化水平初始级及以上试点企业数量（家）（数值E）"),
    ("ratio_e_b", "占比 E/B（%）"),
    ("f_benchmarks", "实施期内拟打造中小企业智改数转网联标杆数量（家）（数值F）"),
    ("ratio_f_b", "占比 F/B（%）"),
    ("solutions", "拟打造应用“小快轻准灵”解决方案数量（个）"),
    ("provider_pool", "拟构建县区本级服务商资源池数量（家）"),
    ("replicate", "拟复制推广中小企业数量（家）"),
    ("centers", "拟建设数字化转型促进中心（家）"),
)
# The ratios of the table (002 附1): computed from the figures, never typed in (DESIGN.md §5).
RATIOS = {
    "ratio_c_a": ("c_specialized", "a_specialized"),
    "ratio_d_b": ("d_cloud", "b_total"),
    "ratio_e_b": ("e_level", "b_total"),
    "ratio_f_b": ("f_benchmarks", "b_total"),
}
BASELINE = ("gross_output", "sme_total", "above_scale_total", "a_specialized")
PLAN_NUMBERS = [k for k, _label in MAIN_DATA_ROWS if k not in RATIOS and k != "b_total"]


@dataclass
class MainData:
    planned: dict[str, Decimal | None]
    actual: dict[str, Decimal | None]
    clusters: list[str]


def main_data(bureau: Bureau | None) -> MainData:
    """The county plans' figures (summed) against the portal's own: enterprises under
    transformation by size and tier, cloud use from their files (一企一档 三), the initial level
    (一级) or above after transformation, benchmark titles, the catalogue and provider pool."""
    planned: dict[str, Decimal | None] = dict.fromkeys(PLAN_NUMBERS)
    clusters: list[str] = []
    for section, book in _plan_sections(bureau, "main_data"):
        values, _issues = book.evaluate("main_data", section.data)
        for key in PLAN_NUMBERS:
            value = _number(values.get(key))
            if value is not None:
                planned[key] = (planned[key] or Decimal(0)) + value
        for key in ("cluster", "sub_industry"):
            if values.get(key) and values[key] not in clusters:
                clusters.append(str(values[key]))
    if planned["above_scale_planned"] is not None or planned["below_scale_planned"] is not None:
        planned["b_total"] = (planned["above_scale_planned"] or Decimal(0)) + (
            planned["below_scale_planned"] or Decimal(0)
        )
    else:
        planned["b_total"] = None

    enterprises = PilotEnterprise.objects.filter(within(bureau, "bureau"), status__in=SIGNED)
    cloud = EnterpriseFileSection.objects.filter(
        enterprise=OuterRef("pk"), key="transformation", data__cloud__in=CLOUD_USED
    )
    counts = enterprises.annotate(
        after=_counting_level("after"), cloud=Subquery(cloud.values("pk")[:1])
    ).aggregate(
        above=Count("pk", filter=Q(above_scale=True)),
        below=Count("pk", filter=Q(above_scale=False)),
        specialised=Count("pk", filter=Q(tier__in=SPECIALISED_TIERS)),
        cloud_used=Count("pk", filter=Q(cloud__isnull=False)),
        initial=Count("pk", filter=Q(after__gte=1)),
    )
    actual: dict[str, Decimal | None] = dict.fromkeys(planned)
    actual.update(
        {
            # The baseline is the plan's (the sub-industry's whole population), not the portal's.
            **{key: planned[key] for key in BASELINE},
            "above_scale_planned": Decimal(counts["above"]),
            "below_scale_planned": Decimal(counts["below"]),
            "b_total": Decimal(counts["above"] + counts["below"]),
            "c_specialized": Decimal(counts["specialised"]),
            "d_cloud": Decimal(counts["cloud_used"]),
            "e_level": Decimal(counts["initial"]),
            "f_benchmarks": Decimal(
                BenchmarkTitle.objects.filter(
                    within(bureau, "bureau"), status=BenchmarkTitle.Status.ACTIVE
                ).count()
            ),
            "solutions": Decimal(
                Product.objects.filter(within(bureau, "provider__bureau")).count()
            ),
            "provider_pool": Decimal(
                ServiceProvider.objects.filter(within(bureau, "bureau")).count()
            ),
        }
    )
    for values in (planned, actual):
        for key, (numerator, denominator) in RATIOS.items():
            values[key] = ratio(values[numerator], values[denominator])
    return MainData(planned=planned, actual=actual, clusters=clusters)


def _counting_level(stage: str) -> Any:
    """The level of the counting assessment of ``stage``: on-site when there is one, else the
    self-assessment (``pilots.selectors.counting_assessment``); 0 when none."""

    def level(kind: str) -> Subquery:
        return Subquery(
            Assessment.objects.filter(enterprise=OuterRef("pk"), stage=stage, kind=kind).values(
                "level"
            )[:1],
            output_field=IntegerField(),
        )

    return Coalesce(level("onsite"), level("self"), Value(0))


# --- 003 附1 实施方案细分行业情况表 -----------------------------------------------------------------
SUB_INDUSTRY_NUMBERS = (
    "gross_output",
    "above_scale_output",
    "above_scale_smes",
    "below_scale_smes",
)
SUB_INDUSTRY_TEXTS = ("pilots", "carriers", "supply", "titles")


@dataclass
class SubIndustryFigures:
    name: str
    counties: list[str]
    numbers: dict[str, Decimal | None]
    texts: dict[str, list[str]]
    # The portal's pilot enterprises of the sub-industry by tier (重点中小企业情况).
    tiers: dict[str, int]
    enterprises: int


def sub_industry_names(bureau: Bureau | None) -> list[str]:
    """The sub-industries of the subtree: its approved plans' and its pilot enterprises'."""
    names: list[str] = []
    for listed in PilotProgramme.objects.filter(within(bureau, "bureau")).values_list(
        "sub_industries", flat=True
    ):
        names += [str(n) for n in listed or [] if str(n) not in names]
    for name in (
        PilotEnterprise.objects.filter(within(bureau, "bureau"))
        .values_list("sub_industry", flat=True)
        .distinct()
        .order_by("sub_industry")
    ):
        if name not in names:
            names.append(name)
    return names


def sub_industry(bureau: Bureau | None, name: str) -> SubIndustryFigures:
    """One sub-industry's table: the plans' rows for it (summed; their texts listed) and the
    pilot enterprises the portal holds for it, by tier (003 附件 附1)."""
    numbers: dict[str, Decimal | None] = dict.fromkeys(SUB_INDUSTRY_NUMBERS)
    texts: dict[str, list[str]] = {key: [] for key in (*SUB_INDUSTRY_TEXTS, "key_smes")}
    counties: list[str] = []
    for section, book in _plan_sections(bureau, "sub_industry_table"):
        table, _issues = book.evaluate("sub_industry_table", section.data)
        for row in table["rows"]:
            if str(row.get("name") or "").strip() != name:
                continue
            for key in SUB_INDUSTRY_NUMBERS:
                value = _number(row.get(key))
                if value is not None:
                    numbers[key] = (numbers[key] or Decimal(0)) + value
            for key in texts:
                if row.get(key):
                    texts[key].append(str(row[key]))
            if row.get("counties"):
                counties.append(str(row["counties"]))
    tiers = dict(
        PilotEnterprise.objects.filter(within(bureau, "bureau"), sub_industry=name)
        .values("tier")
        .annotate(n=Count("pk"))
        .values_list("tier", "n")
    )
    county_names = (
        PilotEnterprise.objects.filter(within(bureau, "bureau"), sub_industry=name)
        .values_list("bureau__region_name", flat=True)
        .distinct()
        .order_by("bureau__region_name")
    )
    for county in county_names:
        if not any(county in c for c in counties):
            counties.append(county)
    return SubIndustryFigures(
        name=name,
        counties=counties,
        numbers=numbers,
        texts=texts,
        tiers=tiers,
        enterprises=sum(tiers.values()),
    )


# --- digital levels before and after, per sub-industry --------------------------------------------
@dataclass
class LevelRow:
    sub_industry: str
    enterprises: int = 0
    before: dict[int, int] = field(default_factory=lambda: dict.fromkeys((0, *LEVELS), 0))
    after: dict[int, int] = field(default_factory=lambda: dict.fromkeys((0, *LEVELS), 0))

    @property
    def reached(self) -> int:
        """Enterprises at level 2 or above after transformation (000 §四(四); 003 §三)."""
        return sum(n for level, n in self.after.items() if level >= 2)


def level_distribution(bureau: Bureau | None) -> list[LevelRow]:
    """Pilot enterprises per sub-industry by the level of their counting assessment before and
    after transformation: two grouped queries."""
    rows: dict[str, LevelRow] = {}
    enterprises = PilotEnterprise.objects.filter(within(bureau, "bureau"))
    for stage in ("before", "after"):
        grouped = (
            enterprises.annotate(level_of=_counting_level(stage))
            .values("sub_industry", "level_of")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for item in grouped:
            row = rows.setdefault(item["sub_industry"], LevelRow(item["sub_industry"]))
            level = min(max(int(item["level_of"] or 0), 0), 4)
            getattr(row, stage)[level] += item["n"]
            if stage == "before":
                row.enterprises += item["n"]
    return [rows[name] for name in sorted(rows)]


# --- the leading units' quarterly ranking (004 §3) -------------------------------------------------
def evaluated_quarters(bureau: Bureau | None) -> list[tuple[int, int]]:
    return [
        (y, q)
        for y, q in QuarterlyEvaluation.objects.filter(within(bureau, "leading_unit__bureau"))
        .values_list("year", "quarter")
        .distinct()
        .order_by("-year", "-quarter")
    ]


def unit_ranking(bureau: Bureau | None, year: int, quarter: int) -> list[QuarterlyEvaluation]:
    """The quarter's evaluations, best total first (004 §3.2: 绩效考核与动态调整机制)."""
    return list(
        QuarterlyEvaluation.objects.filter(
            within(bureau, "leading_unit__bureau"), year=year, quarter=quarter
        )
        .select_related("leading_unit__organization", "leading_unit__bureau")
        .order_by(Coalesce("total", Value(Decimal(-1))).desc(), "leading_unit__organization__name")
    )


# --- fund use by category (003 §四) ----------------------------------------------------------------
@dataclass
class FundRow:
    programme: PilotProgramme
    split: FundSplit


def fund_rows(bureau: Bureau | None) -> list[FundRow]:
    """Every programme of the subtree with its allocation, released tranches and uses by category
    (003 §四(二): ≥80% on transformation, ≤20% on platforms and services): three queries."""
    programmes = list(
        PilotProgramme.objects.filter(within(bureau, "bureau"))
        .select_related("bureau", "fund")
        .order_by("bureau__path", "pk")
    )
    ids = [p.pk for p in programmes]
    released = dict(
        FundTranche.objects.filter(programme_id__in=ids)
        .values("programme_id")
        .annotate(total=Sum("amount_wan"))
        .values_list("programme_id", "total")
    )
    uses: dict[tuple[int, str], Decimal] = {
        (row["programme_id"], row["category"]): row["total"]
        for row in FundUse.objects.filter(programme_id__in=ids)
        .values("programme_id", "category")
        .annotate(total=Sum("amount_wan"))
    }
    rows = []
    for programme in programmes:
        fund = getattr(programme, "fund", None)
        rows.append(
            FundRow(
                programme=programme,
                split=FundSplit(
                    allocation=fund.amount_wan if fund is not None else Decimal(0),
                    released=released.get(programme.pk) or Decimal(0),
                    transformation=uses.get((programme.pk, FundUse.Category.TRANSFORMATION))
                    or Decimal(0),
                    platforms=uses.get((programme.pk, FundUse.Category.PLATFORMS)) or Decimal(0),
                ),
            )
        )
    return rows


def total_split(rows: Iterable[FundRow]) -> FundSplit:
    rows = list(rows)
    return FundSplit(
        allocation=sum((r.split.allocation for r in rows), Decimal(0)),
        released=sum((r.split.released for r in rows), Decimal(0)),
        transformation=sum((r.split.transformation for r in rows), Decimal(0)),
        platforms=sum((r.split.platforms for r in rows), Decimal(0)),
    )


# --- 001 附件4 推荐汇总表 ----------------------------------------------------------------------------
def recommendation_calls(bureau: Bureau | None) -> list[Call]:
    """Calls that ask for a county's recommendation (001 §三), issued in the bureau's line (by
    it, a bureau above it or one below it), newest first."""
    calls = Call.objects.filter(requires_recommendation=True)
    if bureau is not None:
        above = [int(p) for p in bureau.path.split("/") if p]
        calls = calls.filter(within(bureau, "bureau") | Q(bureau_id__in=above))
    return list(calls.order_by("-opens_at", "-pk")[:20])


def recommended_applications(bureau: Bureau | None, call: Call) -> list[Application]:
    """The call's books from organizations of the subtree that their county has dealt with: at a
    city, every county's recommended rows (001 §三(二): 县初审后择优推荐至市)."""
    return list(
        Application.objects.filter(within(bureau, "home_bureau"), call=call)
        .exclude(status__in=[Application.Status.DRAFT, Application.Status.WITHDRAWN])
        .select_related("organization", "home_bureau", "recommended_by")
        .order_by("home_bureau__division_code", "organization__name")
    )
