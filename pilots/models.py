"""Pilot execution records. This issue's part: what a finalised selection creates (DESIGN.md §4);
the pilot-execution issue extends them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Bureau, Organization
from portal.scoping import VisibleManager


class LeadingUnit(models.Model):
    """数字化牵引单位 selected from a leading-unit call (000)."""

    class Kind(models.TextChoices):
        INDUSTRY_CHAIN = "industry_chain", _("industry-chain leading enterprise")
        SUPPLY_CHAIN = "supply_chain", _("supply-chain leading enterprise")

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        CRITICISED = "criticised", _("criticised, under rectification")
        REMOVED = "removed", _("removed")

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="leading_units",
    )
    bureau = models.ForeignKey(
        Bureau, verbose_name=_("bureau"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    sub_industries = models.JSONField(_("sub-industries"), default=list)
    source_application = models.OneToOneField(
        "applications.Application", null=True, on_delete=models.PROTECT, related_name="leading_unit"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    selected_at = models.DateTimeField(_("selected at"))

    objects = VisibleManager()

    class Meta:
        verbose_name = _("leading unit")
        verbose_name_plural = _("leading units")

    def __str__(self) -> str:
        return str(self.organization)


class Alliance(models.Model):
    """The 1+1+N alliance a leading unit leads (000 §二(一)3)."""

    leading_unit = models.OneToOneField(
        LeadingUnit, on_delete=models.CASCADE, related_name="alliance"
    )
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="+")

    objects = VisibleManager()

    def __str__(self) -> str:
        return f"{self.leading_unit} 1+1+N"


class AllianceMember(models.Model):
    class Role(models.TextChoices):
        LEADER = "leader", _("leading unit")
        INTEGRATOR = "integrator", _("digital integration service company")
        ECOSYSTEM = "ecosystem", _("ecosystem enterprise")

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="members")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    name = models.CharField(_("name"), max_length=200)
    uscc = models.CharField(_("unified social credit code"), max_length=18)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    duties = models.CharField(_("duties"), max_length=300, blank=True)

    objects = VisibleManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alliance", "uscc"], name="alliance_member_unique")
        ]

    def __str__(self) -> str:
        return self.name


class BenchmarkTitle(models.Model):
    """A digital-transformation benchmark title (001 §四(一))."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="benchmark_titles"
    )
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    source_application = models.OneToOneField(
        "applications.Application", on_delete=models.PROTECT, related_name="benchmark_title"
    )
    awarded_at = models.DateTimeField(_("awarded at"))

    objects = VisibleManager()

    def __str__(self) -> str:
        return self.title


class PilotProgramme(models.Model):
    """An approved city or county pilot (003 city plan, 002 county plan)."""

    class Status(models.TextChoices):
        APPROVED = "approved", _("approved")

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

    objects = VisibleManager()

    class Meta:
        verbose_name = _("pilot programme")
        verbose_name_plural = _("pilot programmes")

    def __str__(self) -> str:
        return self.name
