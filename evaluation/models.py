"""Review rounds, rubrics, expert assignments, score sheets, publicity and objections."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.utils.translation import gettext_lazy as _

from applications.models import Application, Call
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
    contact = models.CharField(_("phone or email"), max_length=100)
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
        ordering = ["submitted_at", "pk"]

    def __str__(self) -> str:
        return f"{self.name}: {self.text[:30]}"
