"""Leading units (数字化牵引单位), their 1+1+N alliances and changes to them (004 §4.6), benchmark
titles (001) and relocations to a local legal entity (000 §四(八))."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Bureau, Organization, User
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

    class Meta:
        verbose_name = _("1+1+N alliance")
        verbose_name_plural = _("1+1+N alliances")

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
    """A digital-transformation benchmark title (001 §四(一)); revoked for serious dishonesty
    (001 §四(五): 对存在严重失信行为的企业，经核实属实的撤销称号)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        REVOKED = "revoked", _("revoked")

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="benchmark_titles"
    )
    bureau = models.ForeignKey(Bureau, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    source_application = models.OneToOneField(
        "applications.Application", on_delete=models.PROTECT, related_name="benchmark_title"
    )
    awarded_at = models.DateTimeField(_("awarded at"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    revocation_reason = models.TextField(_("reason for revocation"), blank=True)

    objects = VisibleManager()

    class Meta:
        verbose_name = _("benchmark title")
        verbose_name_plural = _("benchmark titles")

    def __str__(self) -> str:
        return self.title


def change_material_path(instance: "AllianceChange", filename: str) -> str:
    import uuid

    return f"alliance-changes/{uuid.uuid4().hex}.pdf"


class AllianceChange(models.Model):
    """A change to a 1+1+N alliance: filed → reviewed → public notice → published (004 §4.6),
    or a rename/reorganisation reported 10 working days ahead (004 §4.8)."""

    class Kind(models.TextChoices):
        ADD = "add", _("add a member")
        REMOVE = "remove", _("remove a member")
        RENAME = "rename", _("rename or reorganisation")

    class Status(models.TextChoices):
        FILED = "filed", _("filed")
        REJECTED = "rejected", _("rejected")
        IN_PUBLICITY = "in_publicity", _("in public notice")
        PUBLISHED = "published", _("published")
        REPORTED = "reported", _("reported")

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    member_name = models.CharField(_("member"), max_length=200)
    member_uscc = models.CharField(_("unified social credit code"), max_length=18)
    role = models.CharField(
        _("role"), max_length=16, choices=AllianceMember.Role.choices, blank=True
    )
    reason = models.TextField(_("reason"))
    planned_on = models.DateField(_("date of the formalities"), null=True, blank=True)
    licence = models.FileField(upload_to=change_material_path, blank=True, max_length=255)
    legal_rep_id = models.FileField(upload_to=change_material_path, blank=True, max_length=255)
    accounts = models.FileField(upload_to=change_material_path, blank=True, max_length=255)
    credit_report = models.FileField(upload_to=change_material_path, blank=True, max_length=255)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.FILED
    )
    review_note = models.TextField(_("review"), blank=True)
    publicity_ends_at = models.DateTimeField(null=True, blank=True)
    filed_by = models.ForeignKey("portal.User", on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleManager()

    class Meta:
        verbose_name = _("alliance change")
        verbose_name_plural = _("alliance changes")
        ordering = ["-filed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.member_name}"


class UnitRelocation(models.Model):
    """A leading unit from outside the city asks to become its independent legal entity
    registered in the city (000 §四(八)); the selecting bureau approves or rejects."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    leading_unit = models.ForeignKey(
        LeadingUnit, on_delete=models.CASCADE, related_name="relocations"
    )
    from_organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("local legal entity"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    reason = models.TextField(_("reason"), max_length=2000)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED
    )
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("decision"), max_length=500, blank=True)

    objects = VisibleManager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["leading_unit"],
                condition=models.Q(status="requested"),
                name="relocation_one_pending_per_unit",
            )
        ]

    def __str__(self) -> str:
        return f"{self.leading_unit_id} → {self.organization_id} ({self.status})"
