"""Calls, their templates, application books, attachments and the events of each book."""

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import Bureau, Organization
from portal.scoping import VisibleManager


class CallTemplate(models.Model):
    """A versioned application-book template (see applications/book.py for the format)."""

    code = models.SlugField(_("code"), max_length=80)
    version = models.PositiveIntegerField(_("version"), default=1)
    kind = models.CharField(_("kind"), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    definition = models.JSONField(_("definition"))
    source = models.CharField(_("source"), max_length=255, blank=True)
    owner_bureau = models.ForeignKey(
        Bureau,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty for the templates shipped with the portal."),
    )
    cloned_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleManager()

    class Meta:
        verbose_name = _("call template")
        verbose_name_plural = _("call templates")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="calltemplate_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class Call(models.Model):
    """A call for applications (申报通知) issued by a bureau."""

    class Kind(models.TextChoices):
        LEADING_UNIT = "leading_unit", _("digital leading units")
        BENCHMARK = "benchmark", _("digital-transformation benchmarks")
        CITY_PLAN = "city_plan", _("city pilot implementation plans")
        COUNTY_PLAN = "county_plan", _("county pilot implementation plans")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        CLOSED = "closed", _("closed")

    bureau = models.ForeignKey(
        Bureau, verbose_name=_("issuing bureau"), on_delete=models.PROTECT, related_name="calls"
    )
    document_number = models.CharField(
        _("document number"), max_length=100, help_text=_("e.g. 江工信工业互联函〔2025〕28号")
    )
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    template = models.ForeignKey(
        CallTemplate, verbose_name=_("template"), on_delete=models.PROTECT, related_name="calls"
    )
    sub_industries = models.JSONField(_("sub-industries"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)
    eligibility = models.TextField(_("eligibility"), blank=True)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(
        _("closes at"), help_text=_("Submissions after this moment are refused.")
    )
    requires_recommendation = models.BooleanField(
        _("county recommendation required"),
        default=False,
        help_text=_(
            "Applicants submit to their county bureau, which recommends them to the issuing bureau."
        ),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VisibleManager()

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-opens_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="call_closes_after_opening"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def accepts_submissions(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.PUBLISHED and self.opens_at <= now <= self.closes_at


class Application(models.Model):
    """One organization's application book (申报书) for one call."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        WITHDRAWN = "withdrawn", _("withdrawn")
        NOT_RECOMMENDED = "not_recommended", _("not recommended")
        RECOMMENDED = "recommended", _("recommended")
        RETURNED = "returned", _("returned for correction")
        RESUBMITTED = "resubmitted", _("resubmitted after correction")
        FORMAL_PASSED = "formal_passed", _("passed the formal check")
        UNDER_REVIEW = "under_review", _("under expert review")
        SCORED = "scored", _("scored")
        PROPOSED = "proposed", _("proposed for selection")
        IN_PUBLICITY = "in_publicity", _("in publicity")
        SELECTED = "selected", _("selected")
        NOT_SELECTED = "not_selected", _("not selected")

    EDITABLE = frozenset({Status.DRAFT, Status.WITHDRAWN, Status.RETURNED})

    call = models.ForeignKey(
        Call, verbose_name=_("call"), on_delete=models.PROTECT, related_name="applications"
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("applicant"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    # The county (or city) bureau the book is filed with: its applicant's home bureau when the
    # book was started. That bureau examines and recommends it (001 §三(二) 县初审后择优推荐),
    # and the book stays with it if the organization's registration later moves. Kept on the
    # book so the staff lists filter and count on the book's own indexes, not the organizations.
    home_bureau = models.ForeignKey(
        Bureau,
        verbose_name=_("filed with"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    content_hash = models.CharField(_("content hash (SHA-256)"), max_length=64, blank=True)
    # "|a|b|": the sub-industries chosen in the book, kept as text so a filter is one portable
    # LIKE on PostgreSQL and SQLite alike (JSON containment is PostgreSQL-only).
    sub_industries_index = models.TextField(blank=True, default="")
    recommendation_note = models.TextField(_("recommendation reason"), blank=True)
    recommended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recommended_at = models.DateTimeField(_("recommended at"), null=True, blank=True)

    # Its generated documents (portal.bundles); deleted with it.
    bundles = GenericRelation(
        "portal.DocumentBundle",
        content_type_field="subject_type",
        object_id_field="subject_id",
        related_query_name="application",
    )

    objects = VisibleManager()

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "organization"], name="application_one_per_call"
            )
        ]
        indexes = [
            # The staff list (filed books, latest first): read in order, never sorted.
            models.Index(
                fields=["-submitted_at", "-id"],
                condition=~Q(status__in=["draft", "withdrawn"]),
                name="application_filed_recent",
            ),
            models.Index(
                fields=["call", "-submitted_at", "-id"],
                condition=~Q(status__in=["draft", "withdrawn"]),
                name="application_call_filed_recent",
            ),
            # A county's books to recommend, and the books recommended up to a city.
            models.Index(
                fields=["home_bureau", "-submitted_at", "-id"],
                condition=~Q(status__in=["draft", "withdrawn"]),
                name="application_bureau_filed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.call}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Invariant: a book is filed with its applicant's home bureau, fixed when it is started.
        if self.home_bureau_id is None and self.organization_id is not None:
            self.home_bureau_id = self.organization.home_bureau_id
        super().save(*args, **kwargs)

    @property
    def sub_industries(self) -> list[str]:
        return self.split_sub_industries(self.sub_industries_index)

    @staticmethod
    def split_sub_industries(index: str) -> list[str]:
        return [part for part in index.split("|") if part]

    @staticmethod
    def index_sub_industries(values: list[str]) -> str:
        cleaned = [v.replace("|", " ") for v in values if v]
        return f"|{'|'.join(cleaned)}|" if cleaned else ""


class ApplicationSection(models.Model):
    """What the applicant typed into one section, as typed; ``version`` guards concurrent edits."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="sections")
    key = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = VisibleManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "key"], name="section_unique_key")
        ]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.key} v{self.version}"


class ApplicationEvent(models.Model):
    """Every status transition of a book: who, when, from, to, why."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24)
    note = models.TextField(blank=True)

    objects = VisibleManager()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_status} → {self.to_status}"


def attachment_path(instance: "Attachment", filename: str) -> str:
    # A generated name: the uploaded name is kept only as data, never as a path.
    now = timezone.now()
    return f"attachments/{now:%Y/%m}/{uuid.uuid4().hex}.{instance.kind}"


class Attachment(models.Model):
    """An uploaded proof in one slot of a book, checked by content and stored under a generated name."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="attachments"
    )
    section = models.CharField(max_length=64)
    slot = models.CharField(max_length=100)
    original_name = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(_("file type"), max_length=8)
    file = models.FileField(upload_to=attachment_path, max_length=255)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    objects = VisibleManager()

    class Meta:
        ordering = ["section", "slot", "uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class CorrectionRequest(models.Model):
    """A request to correct a submitted book (补正) with a deadline."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="corrections"
    )
    items = models.TextField(_("what to correct"))
    deadline = models.DateTimeField(_("correction deadline"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = VisibleManager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.application_id} until {self.deadline:%Y-%m-%d}"
