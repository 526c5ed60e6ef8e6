"""Review rounds, rubrics, expert assignments, score sheets, publicity and objections."""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from applications.models import Application, Call
from portal.fields import EncryptedCharField
from portal.models import Bureau
from portal.scoping import VisibleManager


class Rubric(models.Model):
    """Weighted scoring criteria, versioned data (see evaluation/shipped_rubrics/*.json)."""

    code = models.SlugField(_("code"), max_length=80)
    version = models.PositiveIntegerField(_("version"), default=1)
    kind = models.CharField(_("kind"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    definition = models.JSONField(_("definition"))
    owner_bureau = models.ForeignKey(
        Bureau, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = VisibleManager()

    class Meta:
        verbose_name = _("rubric")
        verbose_name_plural = _("rubrics")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="rubric_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class ExpertProfile(models.Model):
    """Who an expert works for, so conflicts of interest are found without asking."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_profile"
    )
    employer_name = models.CharField(_("employer"), max_length=200, blank=True)
    employer_uscc = models.CharField(
        _("employer's unified social credit code"), max_length=18, blank=True
    )
    specialty = models.CharField(_("specialty"), max_length=200, blank=True)

    objects = VisibleManager()

    class Meta:
        verbose_name = _("expert profile")
        verbose_name_plural = _("expert profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.employer_name})"


class ReviewRound(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="review_rounds"
    )
    name = models.CharField(_("name"), max_length=200)
    rubric = models.ForeignKey(
        Rubric, verbose_name=_("rubric"), on_delete=models.PROTECT, related_name="+"
    )
    # The criteria as they were when the round opened: scores never change meaning afterwards.
    criteria = models.JSONField(default=list)
    experts_per_application = models.PositiveSmallIntegerField(
        _("experts per application"), default=3
    )
    trimmed_mean = models.BooleanField(
        _("drop the highest and lowest score"),
        default=True,
        help_text=_("Applied when at least five experts scored an application."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    # Its generated documents (portal.bundles); deleted with it.
    bundles = GenericRelation(
        "portal.DocumentBundle",
        content_type_field="subject_type",
        object_id_field="subject_id",
        related_query_name="review_round",
    )

    objects = VisibleManager()

    class Meta:
        verbose_name = _("review round")
        verbose_name_plural = _("review rounds")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name


class ExpertAssignment(models.Model):
    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("awaiting conflict declaration")
        ACCEPTED = "accepted", _("no conflict declared")
        CONFLICT = "conflict", _("conflict declared")
        EXCLUDED = "excluded", _("excluded automatically")
        SUBMITTED = "submitted", _("scores submitted")

    ACTIVE = (Status.ASSIGNED, Status.ACCEPTED, Status.SUBMITTED)

    round = models.ForeignKey(ReviewRound, on_delete=models.CASCADE, related_name="assignments")
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="expert_assignments"
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="expert_assignments"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ASSIGNED
    )
    conflict_reason = models.TextField(_("conflict"), blank=True)
    declared_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleManager()

    class Meta:
        verbose_name = _("expert assignment")
        verbose_name_plural = _("expert assignments")
        ordering = ["round", "application", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "application", "expert"], name="assignment_unique_expert"
            )
        ]

    def __str__(self) -> str:
        return f"{self.expert} → {self.application_id} ({self.status})"


class ScoreSheet(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")

    assignment = models.OneToOneField(
        ExpertAssignment, on_delete=models.CASCADE, related_name="sheet"
    )
    scores = models.JSONField(default=dict)  # criterion key → score as text ("8.5")
    comments = models.JSONField(default=dict)  # criterion key → comment
    overall_comment = models.TextField(_("overall comment"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reopen_reason = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VisibleManager()

    def __str__(self) -> str:
        return f"sheet {self.assignment_id} ({self.status})"


class Publicity(models.Model):
    """A public notice of the proposed selection for N days (5 in 001 §三(四))."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("in publicity")
        ENDED = "ended", _("publicity ended")
        FINALISED = "finalised", _("finalised")

    PUBLIC = (Status.PUBLISHED, Status.ENDED, Status.FINALISED)

    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="publicities"
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("notice"), blank=True)
    days = models.PositiveSmallIntegerField(_("days"), default=5)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    contact = models.CharField(_("contact for objections"), max_length=200, blank=True)
    finalised_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    # Its generated documents (portal.bundles); deleted with it.
    bundles = GenericRelation(
        "portal.DocumentBundle",
        content_type_field="subject_type",
        object_id_field="subject_id",
        related_query_name="publicity",
    )

    objects = VisibleManager()

    class Meta:
        verbose_name = _("publicity")
        verbose_name_plural = _("publicity notices")
        ordering = ["-starts_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class PublicityEntry(models.Model):
    publicity = models.ForeignKey(Publicity, on_delete=models.CASCADE, related_name="entries")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="+")
    organization_name = models.CharField(max_length=200)
    sub_industries = models.CharField(max_length=500, blank=True)
    position = models.PositiveIntegerField(default=0)
    withdrawn = models.BooleanField(default=False)  # removed after an upheld objection

    objects = VisibleManager()

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.organization_name


class Objection(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("open")
        UPHELD = "upheld", _("upheld: the entry is removed")
        DISMISSED = "dismissed", _("dismissed")

    publicity = models.ForeignKey(Publicity, on_delete=models.CASCADE, related_name="objections")
    entry = models.ForeignKey(
        PublicityEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="objections"
    )
    name = models.CharField(_("your name"), max_length=100)
    # Personal information, encrypted at rest (portal.personal_data).
    contact = EncryptedCharField(_("phone or email"), max_length=100)
    text = models.TextField(_("objection"))
    submitted_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    handling_note = models.TextField(_("handling"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    objects = VisibleManager()

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        ordering = ["submitted_at", "pk"]

    def __str__(self) -> str:
        return f"{self.name}: {self.text[:30]}"


# --- leading-unit performance (004 §2.2.11, §3, §4; 002 §三.3) -----------------------------------
class IndicatorSet(models.Model):
    """The quarterly evaluation's indicators (004 §3.2), versioned data like the rubrics (see
    evaluation/shipped_indicators/*.json): not a tenant's row, read by every bureau."""

    code = models.SlugField(_("code"), max_length=80)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    definition = models.JSONField(_("definition"))

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="indicator_set_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class PerformanceTaskBook(models.Model):
    """绩效任务书 (004 §3.1): the unit's targets, started from its book's committed targets
    (000 §四(一)) and adjusted by the bureau, and its duties (004 §2.2)."""

    leading_unit = models.OneToOneField(
        "pilots.LeadingUnit", on_delete=models.CASCADE, related_name="performance_task_book"
    )
    # [{"sub_industry", "enterprises", "above_scale", "level_two"}], as in the book's table
    targets = models.JSONField(_("targets"), default=list)
    duties = models.TextField(_("key performance duties"), blank=True, max_length=5000)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = VisibleManager()

    def __str__(self) -> str:
        return str(self.leading_unit)

    def target_total(self, key: str) -> int:
        return sum(int(row.get(key) or 0) for row in self.targets)


def report_evidence_path(instance: "QuarterlyReport", filename: str) -> str:
    return f"performance/{instance.year}q{instance.quarter}/{uuid.uuid4().hex}.pdf"


class QuarterlyReport(models.Model):
    """The unit's quarterly progress report with evidence (004 §2.2.11, §3.3.1)."""

    leading_unit = models.ForeignKey(
        "pilots.LeadingUnit", on_delete=models.CASCADE, related_name="quarterly_reports"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    # contracts_signed, in_transformation, completed, solutions: pre-filled from the portal
    figures = models.JSONField(_("figures"), default=dict)
    duties_done = models.TextField(_("duties done"), max_length=5000)
    evidence = models.FileField(_("evidence"), upload_to=report_evidence_path, max_length=255)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleManager()

    class Meta:
        verbose_name = _("quarterly report")
        verbose_name_plural = _("quarterly reports")
        ordering = ["-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["leading_unit", "year", "quarter"], name="report_once_per_quarter"
            )
        ]

    def __str__(self) -> str:
        return f"{self.leading_unit_id} {self.year}Q{self.quarter}"


class QuarterlyEvaluation(models.Model):
    """The working group's quarterly evaluation of a leading unit (004 §3.2)."""

    class Outcome(models.TextChoices):
        PASSED = "passed", pgettext_lazy("evaluation outcome", "passed")
        FAILED = "failed", pgettext_lazy("evaluation outcome", "failed")
        ABSENT = "absent", _("did not take part")  # 004 §4.4.2

    leading_unit = models.ForeignKey(
        "pilots.LeadingUnit", on_delete=models.CASCADE, related_name="quarterly_evaluations"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    indicator_set = models.ForeignKey(IndicatorSet, on_delete=models.PROTECT, related_name="+")
    report = models.ForeignKey(
        QuarterlyReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    figures = models.JSONField(_("figures"), default=dict)
    scores = models.JSONField(_("scores"), default=dict, blank=True)
    total = models.DecimalField(_("total"), max_digits=6, decimal_places=2, null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    reason = models.TextField(_("reason"), max_length=5000)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    evaluated_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleManager()

    class Meta:
        ordering = ["-year", "-quarter"]
        constraints = [
            models.UniqueConstraint(
                fields=["leading_unit", "year", "quarter"], name="evaluation_once_per_quarter"
            )
        ]

    def __str__(self) -> str:
        return f"{self.leading_unit_id} {self.year}Q{self.quarter}: {self.outcome}"


class SatisfactionRating(models.Model):
    """A pilot enterprise's rating of its leading unit, or of a provider it used (002 §三.3)."""

    enterprise = models.ForeignKey(
        "pilots.PilotEnterprise", on_delete=models.CASCADE, related_name="satisfaction_ratings"
    )
    provider = models.ForeignKey(
        "pilots.ServiceProvider",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="satisfaction_ratings",
    )
    score = models.PositiveSmallIntegerField(
        _("satisfaction (1–5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    rated_at = models.DateTimeField(auto_now=True)

    objects = VisibleManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=models.Q(provider__isnull=True),
                name="rating_of_unit_once",
            ),
            models.UniqueConstraint(
                fields=["enterprise", "provider"],
                condition=models.Q(provider__isnull=False),
                name="rating_of_provider_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id}/{self.provider_id}: {self.score}"


def sanction_evidence_path(instance: "Sanction", filename: str) -> str:
    return f"sanctions/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.pdf"


class Sanction(models.Model):
    """Criticism with a rectification order (004 §4.2–§4.3) or removal (004 §4.4)."""

    class Kind(models.TextChoices):
        CRITICISM = "criticism", _("criticism with rectification order")
        REMOVAL = "removal", _("removal")

    class Status(models.TextChoices):
        ORDERED = "ordered", _("rectification ordered")
        OVERDUE = "overdue", _("rectification overdue")
        RECTIFIED = "rectified", _("rectified")
        PROPOSED = "proposed", _("removal proposed")
        CONFIRMED = "confirmed", _("removal confirmed")
        WITHDRAWN = "withdrawn", _("withdrawn")

    class Grounds(models.TextChoices):
        # 004 §4.2: criticism and rectification
        COMPLAINTS = "4.2.1", _("service falls short and enterprises complain (004 §4.2.1)")
        LATE_MATERIALS = "4.2.2", _("materials late, incomplete or irregular (004 §4.2.2)")
        BEHIND_SCHEDULE = "4.2.3", _("quarterly progress behind schedule (004 §4.2.3)")
        UNREPORTED_CHANGE = "4.2.4", _("major change not reported (004 §4.2.4)")
        DUTIES_NEGLECTED = "4.2.5", _("duties not performed in good faith (004 §4.2.5)")
        ACCEPTANCE_FAILED = "4.2.6", _("project failed acceptance (004 §4.2.6)")
        # 004 §4.3: rectification not done in time
        RECTIFICATION_MISSED = "4.3", _("rectification not completed in time (004 §4.3)")
        # 004 §4.4: removal
        VOLUNTARY_EXIT = "4.4.1", _("the unit asked to leave (004 §4.4.1)")
        SKIPPED_EVALUATION = "4.4.2", _("did not take part in an evaluation (004 §4.4.2)")
        TWO_FAILURES = "4.4.3", _("failed two evaluations in total (004 §4.4.3)")
        TERMINATED = "4.4.4", _("terminated by law (004 §4.4.4)")
        FORGED_MATERIALS = "4.4.5", _("forged materials (004 §4.4.5)")
        LEAKED_SECRETS = "4.4.6", _("leaked enterprise secrets (004 §4.4.6)")
        IMPROPER_FEES = "4.4.7", _("improper fees or harm to the pilot (004 §4.4.7)")
        OTHER = "4.4.8", _("otherwise unfit to continue (004 §4.4.8)")

    CRITICISM_GROUNDS = ("4.2.1", "4.2.2", "4.2.3", "4.2.4", "4.2.5", "4.2.6")
    MANUAL_REMOVAL_GROUNDS = ("4.3", "4.4.1", "4.4.4", "4.4.5", "4.4.6", "4.4.7", "4.4.8")
    OPEN = ("ordered", "overdue", "proposed")

    leading_unit = models.ForeignKey(
        "pilots.LeadingUnit", on_delete=models.CASCADE, related_name="sanctions"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    grounds = models.CharField(_("grounds"), max_length=8, choices=Grounds.choices)
    reason = models.TextField(_("reason"), max_length=5000)
    evidence = models.FileField(
        _("evidence"), upload_to=sanction_evidence_path, blank=True, max_length=255
    )
    evaluation = models.ForeignKey(
        QuarterlyEvaluation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rectify_by = models.DateField(_("rectify by"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    automatic = models.BooleanField(_("proposed by the rules"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decision_note = models.TextField(_("decision"), blank=True, max_length=5000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = VisibleManager()

    class Meta:
        verbose_name = _("sanction")
        verbose_name_plural = _("sanctions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # one open removal proposal at a time: the rules never propose it twice
            models.UniqueConstraint(
                fields=["leading_unit"],
                condition=models.Q(kind="removal", status="proposed"),
                name="one_open_removal_proposal",
            )
        ]

    def __str__(self) -> str:
        return f"{self.leading_unit_id}: {self.kind} {self.status}"
