"""The dashboard's figures for one bureau's area (the bureau and every bureau below it), or the
whole portal for the operator: targets against progress, the level reached by above-size pilot
enterprises, enterprises per stage, what is overdue and how the funds are used.

Every figure comes from an aggregate query, so the dashboard costs the same number of queries
whatever the number of enterprises, deadlines or payments. Reads run in the caller's scope; the
area filter (a prefix of the bureau's materialised path) only narrows what the scope shows."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from pilots.assessment import TARGET_LEVEL
from pilots.models import (
    Assessment,
    FundTranche,
    FundUse,
    PilotEnterprise,
    ProgrammeEvaluation,
    ProgrammeFund,
    ProgrammeTarget,
)
from pilots.selectors import SIGNED
from portal import deadlines
from portal.models import BUREAU_ROLES, Bureau, Deadline
from portal.templatetags.portal_tags import join_list
from portal.visibility import Visibility

from .models import Sanction

Status = PilotEnterprise.Status
Metric = ProgrammeTarget.Metric

# An enterprise has finished its transformation from "completed" on (002 附3).
FINISHED = [Status.COMPLETED, Status.ACCEPTANCE_APPLIED, Status.ACCEPTED, Status.REJECTED]
# Deadlines somebody owes something by; a call closing or a notice ending is not "overdue".
# Rectification orders are counted from their own records (see overdue_rectifications).
OWED_DEADLINE_KINDS = ("correction_due", "acceptance_due", "quarterly_report_due")
LEVELS = (0, 1, 2, 3, 4)  # 0: no level reached; 1–4: 一级…四级 (2024 index)


def labelled(label: Any, value: Any) -> str:
    """ "Label: value" in the active language's punctuation, as plain text (the template tag of
    the same name escapes for HTML; chart labels are escaped where they are drawn)."""
    return pgettext("label and its value", "{label}: {value}").format(label=label, value=value)


# --- which area ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Area:
    """The bureau whose subtree the figures roll up, or None for the whole portal."""

    bureau: Bureau | None
    choices: list[Bureau]

    def q(self, prefix: str) -> Q:
        """Rows whose bureau (reached through ``prefix``) lies in the area."""
        if self.bureau is None:
            return Q()
        return Q(**{f"{prefix}path__startswith": self.bureau.path})


def dashboard_area(visibility: Visibility, requested: int | None) -> Area | None:
    """The area asked for (``?bureau=<id>``) if it is one of the viewer's bureaus, else None (the
    caller answers 404: a foreign bureau is treated as a missing one). Without a request: the
    staff member's own (topmost) bureau; the whole portal for the operator."""
    choices = list(
        visibility.bureaus()
        .filter(department=Bureau.Department.INDUSTRY)
        .order_by("path")
        .only("pk", "name", "path", "level", "parent_id")
    )
    by_pk = {bureau.pk: bureau for bureau in choices}
    if requested is not None:
        return Area(by_pk[requested], choices) if requested in by_pk else None
    if visibility.is_operator:
        return Area(None, choices)
    own = [by_pk[pk] for pk in visibility.bureau_ids_with(BUREAU_ROLES) if pk in by_pk]
    if not own:
        return None
    own.sort(key=lambda bureau: (bureau.path.count("/"), bureau.path))
    return Area(own[0], choices)


# --- the figures -----------------------------------------------------------------------------------
@dataclass
class Row:
    code: str
    label: str
    value: Any
    target: int | None = None

    @property
    def share(self) -> Decimal | None:
        """The value as a percentage of the target, when there is one."""
        if not self.target:
            return None
        return (Decimal(100) * Decimal(self.value) / self.target).quantize(Decimal("0.1"))


@dataclass
class Figures:
    area: Area
    computed_at: datetime
    targets: list[Row] = field(default_factory=list)
    levels: list[Row] = field(default_factory=list)
    above_scale: int = 0
    above_scale_assessed: int = 0
    above_scale_reached: int = 0
    stages: list[Row] = field(default_factory=list)
    overdue: list[Row] = field(default_factory=list)
    funds: list[Row] = field(default_factory=list)

    @property
    def level_share(self) -> Decimal | None:
        """Above-size enterprises at level 2 or above, as a percentage of those assessed after
        transformation (000 §四(四); 003 §三)."""
        if not self.above_scale_assessed:
            return None
        return (Decimal(100) * self.above_scale_reached / self.above_scale_assessed).quantize(
            Decimal("0.1")
        )

    @property
    def enrolled(self) -> int:
        return sum(row.value for row in self.stages)

    @property
    def overdue_total(self) -> int:
        return sum(row.value for row in self.overdue)


def _after_level() -> Coalesce:
    """The counting level after transformation: the on-site assessment when there is one,
    otherwise the self-assessment (as pilots.selectors.counting_assessment)."""

    def level_of(kind: str) -> Subquery:
        return Subquery(
            Assessment.objects.filter(
                enterprise=OuterRef("pk"), stage=Assessment.Stage.AFTER, kind=kind
            ).values("level")[:1],
            output_field=IntegerField(),
        )

    return Coalesce(level_of(Assessment.Kind.ONSITE), level_of(Assessment.Kind.SELF))


def enterprise_counts(area: Area) -> dict[str, int]:
    """One aggregate over the area's pilot enterprises: per stage, per indicator, per level."""
    signed = Q(status__in=SIGNED)
    above = Q(above_scale=True)
    counts: dict[str, Any] = {
        f"stage_{code}": Count("pk", filter=Q(status=code)) for code in Status
    }
    counts |= {
        "transformed": Count("pk", filter=signed),
        "finished": Count("pk", filter=Q(status__in=FINISHED)),
        "t_above_scale": Count("pk", filter=signed & above),
        "t_specialised": Count("pk", filter=signed & Q(tier__in=["specialised", "little_giant"])),
        "t_below_scale": Count("pk", filter=signed & Q(above_scale=False)),
        "t_above_scale_level2": Count(
            "pk", filter=signed & above & Q(after_level__gte=TARGET_LEVEL)
        ),
        "all_above_scale": Count("pk", filter=above),
        "above_unassessed": Count("pk", filter=above & Q(after_level__isnull=True)),
    }
    counts |= {f"above_level_{n}": Count("pk", filter=above & Q(after_level=n)) for n in LEVELS}
    return (
        PilotEnterprise.objects.filter(area.q("bureau__"))
        .annotate(after_level=_after_level())
        .aggregate(**counts)
    )


def target_totals(area: Area) -> dict[str, int]:
    """Per indicator, the sum over the area's programmes of each programme's target for its last
    year (the targets are cumulative: end of the pilot, 003 附2 绩效目标表)."""
    last_year = (
        ProgrammeTarget.objects.filter(programme=OuterRef("programme"), metric=OuterRef("metric"))
        .order_by("-year")
        .values("year")[:1]
    )
    rows = (
        ProgrammeTarget.objects.filter(area.q("programme__bureau__"))
        .filter(year=Subquery(last_year))
        .values("metric")
        .annotate(total=Sum("value"))
        .order_by("metric")
    )
    return {row["metric"]: row["total"] for row in rows}


def overdue_rows(area: Area, now: datetime) -> list[Row]:
    """Deadlines owed and passed, per kind; then open rectification orders past their date: the
    leading units' (004 §4.2–§4.3) and the programmes' (two months, 002 §七.3)."""
    today = timezone.localdate(now)
    by_kind = dict(
        Deadline.objects.filter(
            area.q("bureau__"),
            status=Deadline.Status.OPEN,
            kind__in=OWED_DEADLINE_KINDS,
            due_at__lt=now,
        )
        .values("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    rows = [
        Row(kind, deadlines.kind_label(kind), by_kind.get(kind, 0)) for kind in OWED_DEADLINE_KINDS
    ]
    orders = Sanction.objects.filter(
        area.q("leading_unit__bureau__"), kind=Sanction.Kind.CRITICISM
    ).filter(
        Q(status=Sanction.Status.OVERDUE) | Q(status=Sanction.Status.ORDERED, rectify_by__lt=today)
    )
    programmes = ProgrammeEvaluation.objects.filter(
        area.q("programme__bureau__"),
        status=ProgrammeEvaluation.Status.RECTIFYING,
        rectification_due__lt=today,
    )
    rows.append(Row("unit_rectification", _("Leading-unit rectifications"), orders.count()))
    rows.append(Row("programme_rectification", _("Programme rectifications"), programmes.count()))
    return rows


def fund_rows(area: Area) -> list[Row]:
    """Allocated, paid out in tranches, and used per category, in 万元 (003 §四)."""
    zero = Decimal("0.00")
    allocated = ProgrammeFund.objects.filter(area.q("programme__bureau__")).aggregate(
        total=Sum("amount_wan")
    )["total"]
    paid = FundTranche.objects.filter(area.q("programme__bureau__")).aggregate(
        total=Sum("amount_wan")
    )["total"]
    used = dict(
        FundUse.objects.filter(area.q("programme__bureau__"))
        .values("category")
        .annotate(total=Sum("amount_wan"))
        .values_list("category", "total")
    )
    rows = [
        Row("allocated", _("Allocated"), allocated or zero),
        Row("paid", _("Paid out"), paid or zero),
    ]
    for category in FundUse.Category:
        rows.append(
            Row(
                f"used_{category.value}",
                labelled(_("Used"), category.label),
                used.get(category.value) or zero,
            )
        )
    return rows


TARGET_ROWS = [
    # (code, label, count key, target indicator)
    ("enrolled", gettext_lazy("Enterprises enrolled"), "enrolled", Metric.TRANSFORMED),
    ("transformed", gettext_lazy("Task book signed"), "transformed", Metric.TRANSFORMED),
    ("finished", gettext_lazy("Transformation completed"), "finished", Metric.TRANSFORMED),
    ("accepted", gettext_lazy("Accepted"), f"stage_{Status.ACCEPTED}", Metric.TRANSFORMED),
    (
        Metric.ABOVE_SCALE,
        Metric.ABOVE_SCALE.label,
        "t_above_scale",
        Metric.ABOVE_SCALE,
    ),
    (Metric.SPECIALISED, Metric.SPECIALISED.label, "t_specialised", Metric.SPECIALISED),
    (Metric.BELOW_SCALE, Metric.BELOW_SCALE.label, "t_below_scale", Metric.BELOW_SCALE),
    (
        Metric.ABOVE_SCALE_LEVEL2,
        Metric.ABOVE_SCALE_LEVEL2.label,
        "t_above_scale_level2",
        Metric.ABOVE_SCALE_LEVEL2,
    ),
]


def level_label(level: int) -> str:
    if level == 0:
        return _("No level reached")
    return _("Level %(level)s") % {"level": level}


def dashboard_figures(area: Area, now: datetime | None = None) -> Figures:
    """Every figure of the dashboard for ``area``, in a fixed number of queries."""
    now = now or timezone.now()
    counts = enterprise_counts(area)
    counts["enrolled"] = sum(counts[f"stage_{code}"] for code in Status)
    targets = target_totals(area)
    figures = Figures(area=area, computed_at=now)
    figures.targets = [
        Row(str(code), str(label), counts[key], targets.get(metric))
        for code, label, key, metric in TARGET_ROWS
    ]
    figures.stages = [
        Row(code, str(label), counts[f"stage_{code}"]) for code, label in Status.choices
    ]
    figures.levels = [Row(f"level_{n}", level_label(n), counts[f"above_level_{n}"]) for n in LEVELS]
    figures.levels.append(
        Row("unassessed", _("Not assessed after transformation"), counts["above_unassessed"])
    )
    figures.above_scale = counts["all_above_scale"]
    figures.above_scale_assessed = counts["all_above_scale"] - counts["above_unassessed"]
    figures.above_scale_reached = sum(
        counts[f"above_level_{n}"] for n in LEVELS if n >= TARGET_LEVEL
    )
    figures.overdue = overdue_rows(area, now)
    figures.funds = fund_rows(area)
    return figures


# --- the charts' data, for static/js/dashboard.js ---------------------------------------------------
def _describe(title: str, rows: list[Row], value: Any = None) -> str:
    """The chart's text alternative: its title and every value, in the user's language."""
    return labelled(title, join_list(_points(rows, value)))


def _number(value: Any) -> float | int:
    return float(value) if isinstance(value, Decimal) else value


def _points(rows: list[Row], value: Any = None) -> list[str]:
    """One text per category, announced as the keyboard moves through the chart."""
    return [labelled(row.label, row.value if value is None else value(row)) for row in rows]


def _chart(kind: str, title: str, rows: list[Row], series: list[dict], value: Any = None) -> dict:
    return {
        "type": kind,
        "title": title,
        "categories": [row.label for row in rows],
        "series": series,
        "description": _describe(title, rows, value),
        "points": _points(rows, value),
    }


def chart_data(figures: Figures) -> dict[str, Any]:
    """What the charts draw, keyed by chart (the container is ``chart-<key>``); every string
    already translated, so static/js/dashboard.js holds none."""
    levels_title = _("Above-size enterprises by level after transformation")
    funds_title = _("Funds (10k yuan)")
    return {
        "targets": _chart(
            "hbar",
            _("Targets against progress"),
            figures.targets,
            [
                {"name": _("Target"), "data": [row.target for row in figures.targets]},
                {"name": _("Actual"), "data": [row.value for row in figures.targets]},
            ],
            lambda row: f"{row.value} / {row.target if row.target else '-'}",
        ),
        "levels": _chart(
            "pie",
            levels_title,
            figures.levels,
            [{"name": levels_title, "data": [row.value for row in figures.levels]}],
        ),
        "stages": _chart(
            "bar",
            _("Enterprises per stage"),
            figures.stages,
            [{"name": _("Enterprises"), "data": [row.value for row in figures.stages]}],
        ),
        "overdue": _chart(
            "bar",
            _("Overdue deadlines and rectifications"),
            figures.overdue,
            [{"name": _("Overdue"), "data": [row.value for row in figures.overdue]}],
        ),
        "funds": _chart(
            "bar",
            funds_title,
            figures.funds,
            [{"name": funds_title, "data": [_number(row.value) for row in figures.funds]}],
        ),
    }
