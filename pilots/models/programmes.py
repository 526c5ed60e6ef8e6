"""Pilot programmes: targets, evaluations, plan changes and funds (003 §四, §五; 002 §七)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Bureau
from portal.scoping import VisibleManager

from .enterprises import PilotEnterprise


class PilotProgramme(models.Model):
    """An approved city or county pilot (003 city plan, 002 county plan)."""

    class Status(models.TextChoices):
        APPROVED = "approved", _("approved")
        # Penalties for a failed evaluation (003 §五: 暂停试点资格、收回奖补资金).
        SUSPENDED = "suspended", _("suspended")
        CLAWED_BACK = "clawed_back", _("funds clawed back")

    name = models.CharField(_("name"), max_length=200)
    bureau = models.ForeignKey(
        Bureau,
        verbose_name=_("bureau running the pilot"),
        on_delete=models.PROTECT,
        related_name="programmes",
    )
    approving_bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="+")
    source_application = models.OneToOneField(
        "applications.Application", on_delete=models.PROTECT, related_name="programme"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.APPROVED
    )
    approved_at = models.DateTimeField(_("approved at"))
    # From the approved plan; a city picks at most five sub-industries (003 §三(一)).
    sub_industries = models.JSONField(_("sub-industries"), default=list, blank=True)
    # A city pilot runs two years from approval (003 §四.2); the bureau may correct the dates.
    starts_on = models.DateField(_("period starts"), null=True, blank=True)
    ends_on = models.DateField(_("period ends"), null=True, blank=True)

    MAX_CITY_SUB_INDUSTRIES = 5

    objects = VisibleManager()

    class Meta:
        verbose_name = _("pilot programme")
        verbose_name_plural = _("pilot programmes")

    def __str__(self) -> str:
        return self.name


class ProgrammeTarget(models.Model):
    """A performance target of a programme for one year (002 附1 §二; 003 附件 §二: "总体绩效目标及
    分年度目标，确保目标可考核"). Only indicators the portal can count are offered here; the
    others stay in the approved plan."""

    class Metric(models.TextChoices):
        TRANSFORMED = "transformed", _("enterprises transformed")
        ABOVE_SCALE = "above_scale", _("above-size enterprises transformed")
        SPECIALISED = "specialised", _("specialised and sophisticated enterprises transformed")
        BELOW_SCALE = "below_scale", _("below-size enterprises transformed")
        ABOVE_SCALE_LEVEL2 = "above_scale_level2", _("above-size enterprises at level 2 or above")

    programme = models.ForeignKey(PilotProgramme, on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveSmallIntegerField(_("year"))
    metric = models.CharField(_("indicator"), max_length=24, choices=Metric.choices)
    value = models.PositiveIntegerField(_("target"))

    objects = VisibleManager()

    class Meta:
        ordering = ["year", "metric"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "year", "metric"], name="programme_target_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.get_metric_display()}: {self.value}"


class ProgrammeEvaluation(models.Model):
    """One evaluation of a pilot programme. County pilots: self-evaluation by the county, on-site
    evaluation by the city, rectification within two months, review by the province (002 §七.3).
    City pilots: mid-term after the first year and final after the second, against the targets of
    the 绩效目标表 (003 §五)."""

    class Kind(models.TextChoices):
        SELF = "self", _("self-evaluation")
        ONSITE = "onsite", _("on-site evaluation by the city")
        REVIEW = "review", _("review by the province")
        MID_TERM = "mid_term", _("mid-term evaluation")
        FINAL = "final", _("final evaluation")

    class Outcome(models.TextChoices):
        # 003 §五: 督促整改、暂停试点资格、收回奖补资金
        PASS = "pass", _("pass")
        RECTIFY = "rectify", _("rectify")
        SUSPEND = "suspend", _("suspend the pilot")
        CLAW_BACK = "claw_back", _("claw back the funds")

    class Status(models.TextChoices):
        RECORDED = "recorded", _("recorded")
        RECTIFYING = "rectifying", _("under rectification")
        RECTIFIED = "rectified", _("rectification reported")

    programme = models.ForeignKey(
        PilotProgramme, on_delete=models.CASCADE, related_name="evaluations"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    findings = models.TextField(_("findings"), max_length=5000)
    # The targets as they stood when evaluated: year, indicator, target, actual, met.
    targets = models.JSONField(default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RECORDED
    )
    rectification_due = models.DateField(_("rectification due"), null=True, blank=True)
    rectification_report = models.TextField(_("rectification report"), blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    evaluated_at = models.DateTimeField(_("evaluated at"))

    objects = VisibleManager()

    class Meta:
        ordering = ["evaluated_at", "pk"]
        verbose_name = _("programme evaluation")
        verbose_name_plural = _("programme evaluations")

    def __str__(self) -> str:
        return f"{self.programme_id} {self.kind}: {self.outcome}"


class ProgrammeChange(models.Model):
    """A change the running bureau asks for. To the approved plan: the approving bureau decides
    (003 §六(三): 如调整需报省工业和信息化厅批准同意). To a county's list of pilot enterprises: the
    city over the county files it (002 §二.1: 确需调整的需经所在设区市工信主管部门备案同意)."""

    class Kind(models.TextChoices):
        PLAN = "plan", _("change to the approved plan")
        ENTERPRISE_LIST = "enterprise_list", _("change to the list of pilot enterprises")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    programme = models.ForeignKey(PilotProgramme, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PLAN)
    summary = models.TextField(_("change requested"), max_length=5000)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED
    )
    decision_note = models.TextField(_("decision"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleManager()

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.programme_id}: {self.status}"


WAN = {"max_digits": 12, "decimal_places": 2}  # amounts in 万元, to the hundred yuan


class ProgrammeFund(models.Model):
    """The allocation of a programme (003 §四(一): 分档奖补) and how the city pays enterprises: a
    share of the verified, tax-exclusive project cost with a cap per project class (Jiangmen 2024
    project-subsidy notice: at most 30%, capped at 30万元 general and 50万元 benchmark)."""

    programme = models.OneToOneField(PilotProgramme, on_delete=models.CASCADE, related_name="fund")
    tier = models.CharField(_("tier"), max_length=50, blank=True)
    amount_wan = models.DecimalField(_("allocation (10k yuan)"), **WAN)
    subsidy_share = models.DecimalField(
        _("subsidy share of the verified cost"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("0.30"),
    )
    cap_general_wan = models.DecimalField(
        _("cap for a general project (10k yuan)"), default=Decimal("30"), **WAN
    )
    cap_benchmark_wan = models.DecimalField(
        _("cap for a benchmark project (10k yuan)"), default=Decimal("50"), **WAN
    )
    subsidy_source = models.CharField(
        _("subsidy rule"), max_length=200, default="Jiangmen 2024 project-subsidy notice"
    )

    objects = VisibleManager()

    def __str__(self) -> str:
        return f"{self.programme_id}: {self.amount_wan}"


class FundTranche(models.Model):
    """A payment of the allocation: the first (80%) on approval, the rest after a passed
    evaluation (003 §四(一)2: 先拨付80%…通过绩效评价后拨付其余资金)."""

    programme = models.ForeignKey(PilotProgramme, on_delete=models.CASCADE, related_name="tranches")
    number = models.PositiveSmallIntegerField(_("tranche"))
    amount_wan = models.DecimalField(_("amount (10k yuan)"), **WAN)
    evaluation = models.ForeignKey(
        ProgrammeEvaluation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(_("released at"))

    objects = VisibleManager()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="tranche_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} #{self.number}: {self.amount_wan}"


class FundUse(models.Model):
    """Money spent from the allocation, by category (003 §四(二): 不低于80% on enterprises'
    transformation, 不高于20% on industry platforms and services)."""

    class Category(models.TextChoices):
        TRANSFORMATION = "transformation", _("enterprise transformation")
        PLATFORMS = "platforms", _("platforms and services")

    programme = models.ForeignKey(PilotProgramme, on_delete=models.CASCADE, related_name="uses")
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    amount_wan = models.DecimalField(
        _("amount (10k yuan)"), validators=[MinValueValidator(Decimal("0.01"))], **WAN
    )
    description = models.CharField(_("description"), max_length=300)
    spent_on = models.DateField(_("date"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleManager()

    class Meta:
        ordering = ["spent_on", "pk"]

    def __str__(self) -> str:
        return f"{self.programme_id} {self.category}: {self.amount_wan}"


class EnterpriseSubsidy(models.Model):
    """A subsidy paid to one pilot enterprise for its completed project, recorded as a
    transformation fund use."""

    class ProjectClass(models.TextChoices):
        GENERAL = "general", _("general project")
        BENCHMARK = "benchmark", _("benchmark project")

    use = models.OneToOneField(FundUse, on_delete=models.CASCADE, related_name="subsidy")
    programme = models.ForeignKey(
        PilotProgramme, on_delete=models.CASCADE, related_name="subsidies"
    )
    enterprise = models.ForeignKey(
        PilotEnterprise, on_delete=models.PROTECT, related_name="subsidies"
    )
    project_class = models.CharField(
        _("project class"), max_length=16, choices=ProjectClass.choices
    )
    verified_cost_wan = models.DecimalField(_("verified cost excluding tax (10k yuan)"), **WAN)
    level = models.PositiveSmallIntegerField(_("level after transformation"))

    objects = VisibleManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "enterprise"], name="subsidy_once_per_enterprise"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id}: {self.use_id}"
