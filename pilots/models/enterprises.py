"""Pilot enterprises and their records: the one-enterprise-one-file record (002 附2), contracts,
tripartite task books (002 附3), enrolment requests and digital-level assessments."""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.models import Bureau, Organization, User
from portal.scoping import VisibleManager

from .units import LeadingUnit


class PilotEnterprise(models.Model):
    """An SME enrolled for transformation by a leading unit (试点企业, 000 §四; 002 §二)."""

    class Scale(models.TextChoices):
        MEDIUM = "medium", _("medium")
        SMALL = "small", _("small")
        MICRO = "micro", _("micro")

    class Tier(models.TextChoices):
        NONE = "none", _("none")
        INNOVATIVE = "innovative", _("innovative SME")
        SPECIALISED = "specialised", _("specialised and sophisticated SME")
        LITTLE_GIANT = "little_giant", _("little giant")

    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("enrolled")
        CONTRACTED = "contracted", _("task book signed")
        IN_TRANSFORMATION = "in_transformation", _("in transformation")
        COMPLETED = "completed", _("completed")
        ACCEPTANCE_APPLIED = "acceptance_applied", _("acceptance applied for")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("acceptance refused")

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="pilot_enrolments",
    )
    leading_unit = models.ForeignKey(
        LeadingUnit,
        verbose_name=_("leading unit"),
        on_delete=models.PROTECT,
        related_name="enterprises",
    )
    bureau = models.ForeignKey(
        Bureau, verbose_name=_("county bureau"), on_delete=models.PROTECT, related_name="+"
    )
    sub_industry = models.CharField(_("sub-industry"), max_length=100)
    scale = models.CharField(_("size"), max_length=16, choices=Scale.choices)
    above_scale = models.BooleanField(_("above designated size"))
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices, default=Tier.NONE)
    revenue = models.DecimalField(
        _("last year's revenue (10k yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    profit = models.DecimalField(
        _("last year's profit (10k yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.ENROLLED
    )
    enrolled_at = models.DateTimeField(_("enrolled at"), auto_now_add=True)
    completed_on = models.DateField(_("transformation completed on"), null=True, blank=True)
    acceptance_applied_at = models.DateTimeField(
        _("acceptance applied for at"), null=True, blank=True
    )
    acceptance_material = models.FileField(upload_to="acceptance/", blank=True, max_length=255)
    acceptance_note = models.TextField(_("acceptance decision"), blank=True)
    acceptance_decided_at = models.DateTimeField(null=True, blank=True)

    # Its generated documents (portal.bundles); deleted with it.
    bundles = GenericRelation(
        "portal.DocumentBundle",
        content_type_field="subject_type",
        object_id_field="subject_id",
        related_query_name="pilot_enterprise",
    )

    objects = VisibleManager()

    class Meta:
        verbose_name = _("pilot enterprise")
        verbose_name_plural = _("pilot enterprises")
        ordering = ["organization__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "leading_unit"], name="enterprise_once_per_leading_unit"
            )
        ]
        indexes = [
            # The staff list: newest enrolments first, in the user's bureaus (a province walks
            # the first index and stops at a page; a county reads its own rows by the second).
            models.Index(fields=["-enrolled_at", "-id"], name="enterprise_recent"),
            models.Index(fields=["bureau", "-enrolled_at", "-id"], name="enterprise_bureau_recent"),
            models.Index(fields=["leading_unit", "-enrolled_at"], name="enterprise_unit_recent"),
        ]

    def __str__(self) -> str:
        return str(self.organization)


class EnterpriseFileSection(models.Model):
    """One part of the one-enterprise-one-file record (一企一档, 002 附2), as typed."""

    enterprise = models.ForeignKey(
        PilotEnterprise, on_delete=models.CASCADE, related_name="file_sections"
    )
    key = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        "portal.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = VisibleManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "key"], name="file_section_unique")
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id}:{self.key}"


class EnterpriseFileRevision(models.Model):
    """The history of the record: every saved version of every part, with who and when."""

    enterprise = models.ForeignKey(
        PilotEnterprise, on_delete=models.CASCADE, related_name="file_revisions"
    )
    key = models.CharField(max_length=64)
    data = models.JSONField()
    version = models.PositiveIntegerField()
    saved_at = models.DateTimeField(auto_now_add=True)
    saved_by = models.ForeignKey(
        "portal.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = VisibleManager()

    class Meta:
        ordering = ["-saved_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.enterprise_id}:{self.key} v{self.version}"


class TaskBook(models.Model):
    """The tripartite transformation task book (改造任务书, 002 附3): 甲 the county bureau,
    乙 the enterprise, 丙 the service provider (the leading unit)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SIGNING = "signing", _("awaiting signatures")
        SIGNED = "signed", _("signed by all parties")

    enterprise = models.OneToOneField(
        PilotEnterprise, on_delete=models.CASCADE, related_name="task_book"
    )
    # The project named on the cover and in the preamble (002 附3: 项目名称).
    project_name = models.CharField(_("project name"), max_length=200, blank=True, default="")
    goals = models.TextField(_("transformation goals"))
    performance_goals = models.TextField(_("performance goals"))
    content = models.TextField(_("transformation content"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    # [{"period": "...", "work": "...", "investment": "12.5"}]: 002 附3 §二(二) 起止时间,
    # 项目建设内容, 投资总额 (万元, a decimal string); rows of older books may lack the investment.
    schedule = models.JSONField(_("schedule"), default=list)
    budget_wan = models.DecimalField(_("total budget (10k yuan)"), max_digits=12, decimal_places=4)
    # Clauses the three parties add (002 附3 §九(一)); §四's duties are the seed's own text.
    obligations = models.TextField(_("additional clauses"), blank=True)
    # Party B's basic account (002 附3 §十: 基本账户银行信息 户名, 开户银行, 帐号).
    bank_account_name = models.CharField(_("account name"), max_length=200, blank=True, default="")
    bank_name = models.CharField(_("bank"), max_length=200, blank=True, default="")
    bank_account_number = models.CharField(
        _("account number"), max_length=40, blank=True, default=""
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    created_by = models.ForeignKey("portal.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleManager()

    class Meta:
        verbose_name = _("task book")
        verbose_name_plural = _("task books")

    def __str__(self) -> str:
        return f"task book {self.enterprise}"


class TaskBookSignature(models.Model):
    class Party(models.TextChoices):
        BUREAU = "bureau", _("Party A (county bureau)")
        ENTERPRISE = "enterprise", _("Party B (enterprise)")
        PROVIDER = "provider", _("Party C (service provider)")

    task_book = models.ForeignKey(TaskBook, on_delete=models.CASCADE, related_name="signatures")
    party = models.CharField(max_length=16, choices=Party.choices)
    signed_by = models.ForeignKey("portal.User", on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task_book", "party"], name="one_signature_per_party")
        ]

    def __str__(self) -> str:
        return f"{self.task_book_id}: {self.party}"


class EnrolmentRequest(models.Model):
    """An enterprise choosing a leading unit of its area and asking to be transformed (the
    enterprise's "实际改造意愿", 000 §四; 003 §三(四)). Accepting it enrols the enterprise
    through the same checks as an import."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting the leading unit")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        WITHDRAWN = "withdrawn", _("withdrawn")

    organization = models.ForeignKey(
        Organization, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="+"
    )
    leading_unit = models.ForeignKey(
        LeadingUnit,
        verbose_name=_("leading unit"),
        on_delete=models.CASCADE,
        related_name="requests",
    )
    sub_industry = models.CharField(_("sub-industry"), max_length=100)
    # Codes, as on the pilot enterprise the request becomes.
    scale = models.CharField(_("size"), max_length=16, choices=PilotEnterprise.Scale.choices)
    above_scale = models.BooleanField(_("above designated size"))
    tier = models.CharField(
        _("tier"),
        max_length=16,
        choices=PilotEnterprise.Tier.choices,
        default=PilotEnterprise.Tier.NONE,
    )
    revenue = models.DecimalField(
        _("last year's revenue (10k yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    profit = models.DecimalField(
        _("last year's profit (10k yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    needs = models.TextField(_("what the enterprise wants to change"), max_length=2000, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("reason"), max_length=500, blank=True)

    objects = VisibleManager()

    class Meta:
        verbose_name = _("enrolment request")
        verbose_name_plural = _("enrolment requests")
        ordering = ["-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(status="pending"),
                name="one_pending_request_per_enterprise",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} → {self.leading_unit}"


class Contract(models.Model):
    """The transformation contract between a pilot enterprise and the party serving it: duties,
    measures, period, targets and the products bought with itemised prices (issue scope; 004
    §2.2.11 asks leading units to report contract signing)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SIGNED = "signed", _("signed")

    enterprise = models.OneToOneField(
        PilotEnterprise,
        verbose_name=_("enterprise"),
        on_delete=models.CASCADE,
        related_name="contract",
    )
    duties = models.TextField(_("duties of each party"), max_length=4000)
    measures = models.TextField(_("transformation measures"), max_length=4000)
    targets = models.TextField(_("targets"), max_length=4000)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.DRAFT
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = VisibleManager()

    class Meta:
        verbose_name = _("transformation contract")
        verbose_name_plural = _("transformation contracts")

    def __str__(self) -> str:
        return str(self.enterprise)


class ContractItem(models.Model):
    """One product or service on the contract, priced (小快轻准灵 products, 002 §四)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    product = models.CharField(_("product or service"), max_length=200)
    provider = models.CharField(_("provider"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price_wan = models.DecimalField(
        _("unit price (10k yuan)"), max_digits=12, decimal_places=2
    )

    objects = VisibleManager()

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.product

    @property
    def amount_wan(self) -> Decimal:
        return self.quantity * self.unit_price_wan


class Assessment(models.Model):
    """A digital-level assessment of a pilot enterprise against a versioned index (2024).

    The enterprise assesses itself; the bureau's on-site assessment, when there is one, counts.
    After transformation the level must reach 2 (000 §四(四); 003 §三)."""

    class Stage(models.TextChoices):
        BEFORE = "before", _("before transformation")
        AFTER = "after", _("after transformation")

    class Kind(models.TextChoices):
        SELF = "self", _("self-assessment")
        ONSITE = "onsite", _("on-site assessment")

    enterprise = models.ForeignKey(
        PilotEnterprise, on_delete=models.CASCADE, related_name="assessments"
    )
    stage = models.CharField(_("stage"), max_length=8, choices=Stage.choices)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    index_version = models.PositiveIntegerField(default=2024)
    answers = models.JSONField(default=dict)
    base_score = models.DecimalField(_("score"), max_digits=6, decimal_places=2, default=0)
    dimension_scores = models.JSONField(default=dict)
    level = models.PositiveSmallIntegerField(pgettext_lazy("digital level", "level"), default=0)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assessed_at = models.DateTimeField(auto_now=True)

    objects = VisibleManager()

    class Meta:
        verbose_name = _("digital-level assessment")
        verbose_name_plural = _("digital-level assessments")
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "stage", "kind"], name="assessment_unique_stage_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.stage}/{self.kind}: {self.level}"


# --- programme evaluations and funds (issue 11) ---------------------------------------------------
