"""Pilot execution records. This issue's part: what a finalised selection creates (DESIGN.md §4);
the pilot-execution issue extends them."""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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
    goals = models.TextField(_("transformation goals"))
    performance_goals = models.TextField(_("performance goals"))
    content = models.TextField(_("transformation content"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    schedule = models.JSONField(_("schedule"), default=list)  # [{"period": "...", "work": "..."}]
    budget_wan = models.DecimalField(_("total budget (10k yuan)"), max_digits=12, decimal_places=4)
    obligations = models.TextField(_("obligations of the parties"))
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


class ServiceProvider(models.Model):
    """A digital service provider in a county's reference list (002 §三.1–2)."""

    class Capability(models.TextChoices):
        COMPREHENSIVE = "comprehensive", _("comprehensive")
        INDUSTRY = "industry", _("industry-specific")
        SCENARIO = "scenario", _("scenario-specific")

    class Field(models.TextChoices):
        EQUIPMENT = "equipment", _("intelligent equipment")
        SOFTWARE = "software", _("industrial software")
        INFRASTRUCTURE = "infrastructure", _("network and computing infrastructure")

    bureau = models.ForeignKey(
        Bureau, verbose_name=_("bureau"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    uscc = models.CharField(_("unified social credit code"), max_length=18)
    capability = models.CharField(_("capability"), max_length=16, choices=Capability.choices)
    field = models.CharField(_("field"), max_length=16, choices=Field.choices)
    contact = models.CharField(_("contact"), max_length=100, blank=True)

    objects = VisibleManager()

    class Meta:
        verbose_name = _("service provider")
        verbose_name_plural = _("service providers")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["bureau", "uscc"], name="provider_once_per_bureau")
        ]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """A “小快轻准灵” product or solution (002 §四; 000 §二(一)5)."""

    DIRECTIONS = [
        "设备数采",
        "要素互联互通",
        "数据治理",
        "人工智能赋能应用",
        "网络、算力和数据安全",
        "其他",
    ]  # 002 附2/附4
    STAGES = ["研发", "设计", "制造", "销售", "服务", "管理", "安全"]  # 000 §一; 003 附件

    provider = models.ForeignKey(
        ServiceProvider,
        verbose_name=_("provider"),
        on_delete=models.CASCADE,
        related_name="products",
    )
    name = models.CharField(_("name"), max_length=200)
    summary = models.CharField(_("summary"), max_length=500)
    direction = models.CharField(
        _("direction"), max_length=20, choices=[(d, d) for d in DIRECTIONS]
    )
    stage = models.CharField(_("stage"), max_length=8, choices=[(s, s) for s in STAGES])
    price_wan = models.DecimalField(
        _("price (10k yuan)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    own_ip = models.BooleanField(
        _("own intellectual property"), help_text=_("Otherwise used under licence.")
    )

    objects = VisibleManager()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["direction", "name", "pk"]

    def __str__(self) -> str:
        return self.name


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


class DemandList(models.Model):
    """The county's demand, problem and scenario list with adapted products, one per sub-industry
    (002 附4; 002 §二.2: the county sorts out needs, and after acceptance the adapted products)."""

    bureau = models.ForeignKey(
        Bureau, verbose_name=_("county bureau"), on_delete=models.PROTECT, related_name="+"
    )
    sub_industry = models.CharField(_("sub-industry"), max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleManager()

    class Meta:
        verbose_name = _("demand list")
        verbose_name_plural = _("demand lists")
        ordering = ["sub_industry", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["bureau", "sub_industry"], name="demand_list_once")
        ]

    def __str__(self) -> str:
        return f"{self.bureau} · {self.sub_industry}"


class DemandRow(models.Model):
    """One problem, need and scenario under one of the six directions of 附4, with its budget and
    the adapted product from the county's list."""

    demand_list = models.ForeignKey(DemandList, on_delete=models.CASCADE, related_name="rows")
    direction = models.CharField(
        _("direction"), max_length=20, choices=[(d, d) for d in Product.DIRECTIONS]
    )
    problem = models.TextField(_("problem"), max_length=1000)
    need = models.TextField(_("need"), max_length=1000)
    scenario = models.TextField(_("scenario"), max_length=1000)
    budget_wan = models.DecimalField(
        _("total budget (10k yuan)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("adapted product"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = VisibleManager()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.problem[:50]


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
