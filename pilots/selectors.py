"""Reads of pilot execution, inside the caller's scope; the progress table in a fixed number of
queries whatever the number of enterprises."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from portal.labels import choice_label
from portal.models import BUREAU_ROLES, Bureau
from portal.visibility import Visibility

from .assessment import TARGET_LEVEL
from .models import Assessment, FundUse, LeadingUnit, PilotEnterprise, PilotProgramme


def _reached(kind: str) -> Exists:
    return Exists(
        Assessment.objects.filter(
            enterprise=OuterRef("pk"), stage="after", kind=kind, level__gte=TARGET_LEVEL
        )
    )


def _onsite() -> Exists:
    return Exists(
        Assessment.objects.filter(enterprise=OuterRef("pk"), stage="after", kind="onsite")
    )


def with_target_reached(queryset: QuerySet[PilotEnterprise]) -> QuerySet[PilotEnterprise]:
    """Annotate whether the counting after-assessment (on-site when there is one) is level ≥ 2."""
    return queryset.annotate(
        has_onsite=_onsite(), onsite_ok=_reached("onsite"), self_ok=_reached("self")
    )


def enterprise_list(
    *,
    search: str = "",
    bureau_id: int | None = None,
    sub_industry: str = "",
    status: str = "",
    leading_unit_id: int | None = None,
    within_bureau_id: int | None = None,
) -> QuerySet[PilotEnterprise]:
    """The pilot enterprise list (page and exports): by county bureau, sub-industry, status,
    leading unit and name, and within a bureau's subtree (the progress page's drill-down; the
    rows stay those the user sees, so any bureau's subtree is safe to ask for)."""
    qs = PilotEnterprise.objects.select_related(
        "organization", "leading_unit__organization", "bureau"
    )
    if search:
        qs = qs.filter(
            Q(organization__name__icontains=search)
            | Q(organization__uscc__icontains=search.upper())
        )
    if bureau_id:
        qs = qs.filter(bureau_id=bureau_id)
    if sub_industry:
        qs = qs.filter(sub_industry=sub_industry)
    if status:
        qs = qs.filter(status=status)
    if leading_unit_id:
        qs = qs.filter(leading_unit_id=leading_unit_id)
    if within_bureau_id:
        path = Bureau.objects.filter(pk=within_bureau_id).values_list("path", flat=True).first()
        qs = qs.filter(bureau__path__startswith=path) if path else qs.none()
    # Newest enrolments first: a key of the table itself, which its indexes serve, so a page of a
    # province's hundred thousand rows is read in order instead of sorted (DESIGN.md §9).
    return qs.order_by("-enrolled_at", "-pk")


@dataclass(frozen=True)
class EnterpriseRow:
    """A row of the pilot enterprise page: the columns it shows, read as values, not models."""

    pk: int
    name: str
    uscc: str
    leading_unit: str
    county: str
    sub_industry: str
    status: str

    @property
    def status_label(self) -> str:
        return choice_label(PilotEnterprise.Status, self.status)


def enterprise_page_rows(page: QuerySet[PilotEnterprise]) -> list[EnterpriseRow]:
    """What templates/pilots/enterprise_list.html shows of a page of :func:`enterprise_list`:
    seven columns in one query, where whole rows would build four models per row (the exports
    and the API read those)."""
    return [
        EnterpriseRow(*values)
        for values in page.values_list(
            "pk",
            "organization__name",
            "organization__uscc",
            "leading_unit__organization__name",
            "bureau__region_name",
            "sub_industry",
            "status",
        )
    ]


def leading_unit_list() -> QuerySet[LeadingUnit]:
    """The leading-units page (and its exports): every unit the user sees, by name."""
    return LeadingUnit.objects.select_related(
        "organization", "bureau", "source_application__call"
    ).order_by("organization__name", "selected_at", "pk")


def fund_use_list(*, programme_id: int | None = None, category: str = "") -> QuerySet[FundUse]:
    """Fund uses of the programmes the user sees, newest programme first."""
    qs = FundUse.objects.select_related("programme__bureau", "subsidy__enterprise__organization")
    if programme_id:
        qs = qs.filter(programme_id=programme_id)
    if category:
        qs = qs.filter(category=category)
    return qs.order_by("-programme__approved_at", "programme_id", "spent_on", "pk")


def _progress_counts() -> dict[str, Any]:
    signed = [
        "contracted",
        "in_transformation",
        "completed",
        "acceptance_applied",
        "accepted",
        "rejected",
    ]
    done = ["completed", "acceptance_applied", "accepted", "rejected"]
    return {
        "enrolled": Count("pk"),
        "contracted": Count("pk", filter=Q(status__in=signed)),
        "completed": Count("pk", filter=Q(status__in=done)),
        "accepted": Count("pk", filter=Q(status="accepted")),
        "reached": Count(
            "pk", filter=Q(has_onsite=True, onsite_ok=True) | Q(has_onsite=False, self_ok=True)
        ),
    }


PROGRESS_FIGURES = ("enrolled", "contracted", "completed", "accepted", "reached")


def _with_share(row: dict[str, Any]) -> dict[str, Any]:
    share = round(100 * row["reached"] / row["enrolled"], 1) if row["enrolled"] else 0
    return {**row, "share": share}


def _subtree(bureau: Bureau | None) -> Q:
    return Q() if bureau is None else Q(bureau__path__startswith=bureau.path)


def progress_by_leading_unit(bureau: Bureau | None = None) -> list[dict]:
    """Per leading unit: enrolled, contracted, completed, accepted, and how many reached level 2
    after transformation (003 §三: an enterprise counts only at level 2 or above); only the
    enterprises of ``bureau``'s subtree when one is given."""
    rows = (
        with_target_reached(PilotEnterprise.objects.filter(_subtree(bureau)))
        .values("leading_unit_id", "leading_unit__organization__name")
        .annotate(**_progress_counts())
        .order_by("leading_unit__organization__name", "leading_unit_id")
    )
    return [_with_share({**row, "name": row["leading_unit__organization__name"]}) for row in rows]


def progress_by_bureau(children: list[Bureau]) -> list[dict]:
    """The same figures per child bureau (each with its whole subtree): one grouped query over
    the enterprises' counties, added up per child, so a parent's row is the sum of its
    children's (drill-down province → city → county)."""
    condition = Q()
    for child in children:
        condition |= Q(bureau__path__startswith=child.path)
    per_county: list[dict[str, Any]] = []
    if children:
        grouped: Any = (
            with_target_reached(PilotEnterprise.objects.filter(condition))
            .values("bureau__path")
            .annotate(**_progress_counts())
            .order_by()
        )
        per_county = list(grouped)
    result = []
    for child in children:
        row: dict[str, Any] = {"bureau": child, **dict.fromkeys(PROGRESS_FIGURES, 0)}
        for county in per_county:
            if county["bureau__path"].startswith(child.path):
                for key in PROGRESS_FIGURES:
                    row[key] += county[key]
        result.append(_with_share(row))
    return result


SIGNED = [
    "contracted",
    "in_transformation",
    "completed",
    "acceptance_applied",
    "accepted",
    "rejected",
]


def programme_actuals(programme: PilotProgramme) -> dict[str, int]:
    """Counts for each target indicator over the enterprises of the programme's area (its bureau
    and the counties below it). An enterprise counts as transformed once its task book is signed."""
    from .models import ProgrammeTarget

    area = Bureau.objects.filter(path__startswith=programme.bureau.path).values("pk")
    enterprises = with_target_reached(
        PilotEnterprise.objects.filter(bureau_id__in=area, status__in=SIGNED)
    )
    reached = Q(has_onsite=True, onsite_ok=True) | Q(has_onsite=False, self_ok=True)
    M = ProgrammeTarget.Metric
    # Aliases are prefixed: an aggregate may not share a field's name (above_scale).
    counts = enterprises.aggregate(
        **{
            f"n_{M.TRANSFORMED}": Count("pk"),
            f"n_{M.ABOVE_SCALE}": Count("pk", filter=Q(above_scale=True)),
            f"n_{M.SPECIALISED}": Count("pk", filter=Q(tier__in=["specialised", "little_giant"])),
            f"n_{M.BELOW_SCALE}": Count("pk", filter=Q(above_scale=False)),
            f"n_{M.ABOVE_SCALE_LEVEL2}": Count("pk", filter=Q(above_scale=True) & reached),
        }
    )
    return {key.removeprefix("n_"): value for key, value in counts.items()}


def programme_table(programme: PilotProgramme) -> list[dict[str, Any]]:
    """One row per (year, indicator) target with the live count and the share reached."""
    actuals = programme_actuals(programme)
    rows = []
    for target in programme.targets.all():
        actual = actuals[target.metric]
        share = round(100 * actual / target.value, 1) if target.value else 100.0
        rows.append(
            {
                "target": target,
                "actual": actual,
                "share": min(share, 999.9),
                "met": actual >= target.value,
            }
        )
    return rows


def catalogue_bureaus(visibility: Visibility) -> list[Bureau]:
    """Bureaus whose provider reference list the viewer may edit: bureau staff of that bureau
    (002 §三.2: the county publishes the list)."""
    return list(
        Bureau.objects.filter(pk__in=visibility.bureau_ids_with(BUREAU_ROLES)).order_by("path")
    )


def choosable_leading_units(visibility: Visibility) -> QuerySet[LeadingUnit]:
    """Active leading units of the bureaus above the user's enterprise (published after
    selection), which the enterprise may ask to be transformed by."""
    return LeadingUnit.objects.filter(
        status=LeadingUnit.Status.ACTIVE, bureau_id__in=visibility.home_bureau_line_ids
    ).select_related("organization", "bureau")


def counting_assessment(enterprise: PilotEnterprise, stage: str) -> Assessment | None:
    """The on-site assessment counts when there is one; otherwise the self-assessment."""
    found = {a.kind: a for a in enterprise.assessments.filter(stage=stage)}
    return found.get(Assessment.Kind.ONSITE) or found.get(Assessment.Kind.SELF)


# --- funds (003 §四) -------------------------------------------------------------------------------
FIRST_TRANCHE_SHARE = Decimal("0.80")  # 先拨付80%的专项资金 (003 §四(一)2)
TRANSFORMATION_FLOOR = Decimal("0.80")  # 不低于80%的奖补资金开展中小企业数字化改造 (003 §四(二))
PLATFORMS_CEILING = Decimal("0.20")  # 不高于20%的资金 on platforms and services (003 §四(二))
CENT = Decimal("0.01")  # amounts are kept in 万元 to two places


@dataclass(frozen=True)
class FundSplit:
    """Where a programme's money stands: allocation, released tranches, uses by category and the
    shares of the allocation they take (003 §四(二))."""

    allocation: Decimal
    released: Decimal
    transformation: Decimal
    platforms: Decimal

    @property
    def spent(self) -> Decimal:
        return self.transformation + self.platforms

    @property
    def platforms_ceiling(self) -> Decimal:
        return (self.allocation * PLATFORMS_CEILING).quantize(CENT)

    @property
    def platforms_headroom(self) -> Decimal:
        return max(self.platforms_ceiling - self.platforms, Decimal("0"))

    @property
    def unspent(self) -> Decimal:
        return self.released - self.spent

    def share(self, amount: Decimal) -> Decimal:
        """``amount`` as a percentage of the money spent so far."""
        return (100 * amount / self.spent).quantize(Decimal("0.1")) if self.spent else Decimal(0)

    @property
    def transformation_share(self) -> Decimal:
        return self.share(self.transformation)

    @property
    def platforms_share(self) -> Decimal:
        return self.share(self.platforms)

    @property
    def platforms_ok(self) -> bool:
        return self.platforms <= self.platforms_ceiling

    @property
    def transformation_ok(self) -> bool:
        """At least 80% of the allocation can still go to transformation."""
        return self.allocation - self.platforms >= self.allocation * TRANSFORMATION_FLOOR

    def with_use(self, category: str, amount: Decimal) -> "FundSplit":
        """The split after one more use of ``amount`` in ``category``."""
        if category == FundUse.Category.PLATFORMS:
            return FundSplit(
                self.allocation, self.released, self.transformation, self.platforms + amount
            )
        return FundSplit(
            self.allocation, self.released, self.transformation + amount, self.platforms
        )


def fund_split(programme: PilotProgramme) -> FundSplit:
    """The programme's split now, read from its allocation, tranches and uses."""
    fund = getattr(programme, "fund", None)
    released = programme.tranches.aggregate(total=Sum("amount_wan"))["total"] or Decimal(0)
    by_category = dict(
        programme.uses.values("category")
        .annotate(total=Sum("amount_wan"))
        .values_list("category", "total")
    )
    return FundSplit(
        allocation=fund.amount_wan if fund is not None else Decimal(0),
        released=released,
        transformation=by_category.get(FundUse.Category.TRANSFORMATION, Decimal(0)),
        platforms=by_category.get(FundUse.Category.PLATFORMS, Decimal(0)),
    )


def passed_evaluation(programme: PilotProgramme) -> Any:
    """The latest passed evaluation that releases the rest of the funds: the province's review of
    a county pilot, the mid-term or final evaluation of a city pilot (003 §四(一)2, 002 §七.3)."""
    from .models import ProgrammeEvaluation

    Kind = ProgrammeEvaluation.Kind
    return (
        programme.evaluations.filter(
            outcome=ProgrammeEvaluation.Outcome.PASS,
            kind__in=[Kind.REVIEW, Kind.MID_TERM, Kind.FINAL],
        )
        .order_by("-evaluated_at", "-pk")
        .first()
    )
