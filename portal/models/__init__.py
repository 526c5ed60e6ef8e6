"""Accounts and tenancy: users, bureaus, organizations, memberships, and the audit trail."""

import uuid
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..crypto import lookup_hash
from ..fields import EncryptedCharField, EncryptedEmailField
from ..scoping import VisibleManager


class User(AbstractUser):
    """A person. What they may do comes from their memberships, never from request data."""

    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    # Personal information, encrypted at rest (portal.personal_data); found by its keyed hash.
    phone = EncryptedCharField(_("mobile phone"), max_length=20, blank=True)
    phone_lookup = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    # Set on an account created for someone else with a one-time password (portal.members).
    must_change_password = models.BooleanField(
        _("must change password at next login"), default=False
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Invariant: the keyed hash always follows the phone it indexes.
        self.phone_lookup = phone_lookup_hash(self.phone) if self.phone else ""
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "phone" in update_fields:
            kwargs["update_fields"] = {*update_fields, "phone_lookup"}
        super().save(*args, **kwargs)


def phone_lookup_hash(phone: str) -> str:
    """The keyed hash a user is found by from their mobile phone (portal.members)."""
    return lookup_hash(phone, context="portal.user.phone")


class Bureau(models.Model):
    """A competent authority (工信/财政厅、局): the tenant. Province → city → county."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("province")
        CITY = "city", _("city")
        COUNTY = "county", _("county")

    class Department(models.TextChoices):
        INDUSTRY = "industry", _("industry and information technology")
        FINANCE = "finance", _("finance")

    division_code = models.CharField(
        _("administrative division code"),
        max_length=6,
        validators=[RegexValidator(r"^[1-8][0-9]{5}$", _("Enter a 6-digit GB/T 2260 code."))],
        help_text=_("GB/T 2260, e.g. 440700 for Jiangmen."),
    )
    department = models.CharField(
        _("department"), max_length=16, choices=Department.choices, default=Department.INDUSTRY
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    name = models.CharField(_("name"), max_length=100)
    region_name = models.CharField(_("region"), max_length=50, help_text=_("e.g. 江门市"))
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent bureau"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    seal = models.FileField(
        _("seal"),
        upload_to="seals/",
        blank=True,
        help_text=_(
            "A PNG of the bureau's official seal on a transparent background, printed on the "
            "documents the bureau issues (rankings, notices)."
        ),
    )
    # Materialised path of ids ("/1/4/9/") so a subtree is one indexed prefix query.
    path = models.CharField(max_length=255, editable=False, db_index=True)

    class Meta:
        verbose_name = _("bureau")
        verbose_name_plural = _("bureaus")
        ordering = ["division_code", "department"]
        constraints = [
            models.UniqueConstraint(
                fields=["division_code", "department"], name="bureau_unique_division_department"
            ),
            models.CheckConstraint(
                condition=Q(level="province", parent__isnull=True)
                | (~Q(level="province") & Q(parent__isnull=False)),
                name="bureau_only_provinces_are_roots",
            ),
        ]

    def __str__(self) -> str:
        return self.name


def seal_path(instance: "Organization", filename: str) -> str:
    # A generated name: the uploaded name is never a path.
    return f"seals/{uuid.uuid4().hex}.png"


class Organization(models.Model):
    """An enterprise or institution, identified by its unified social credit code."""

    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("enterprise")
        INSTITUTION = "institution", _("public institution")
        ASSOCIATION = "association", _("association or other organization")

    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.ENTERPRISE)
    home_bureau = models.ForeignKey(
        Bureau,
        verbose_name=_("competent bureau"),
        on_delete=models.PROTECT,
        related_name="organizations",
        help_text=_("The county or city industry bureau of the place of registration."),
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=50, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    # The contact person's phone and email: personal information, encrypted at rest.
    contact_phone = EncryptedCharField(_("contact phone"), max_length=30, blank=True)
    contact_email = EncryptedEmailField(_("contact email"), blank=True)
    seal = models.FileField(
        _("seal"),
        upload_to=seal_path,
        blank=True,
        max_length=255,
        help_text=_(
            "A PNG of the official seal on a transparent background, printed on generated documents."
        ),
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = VisibleManager()

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def missing_profile_fields(self) -> list[str]:
        """Fields an applicant should complete before applying to any call."""
        names = ["address", "legal_representative", "contact_name", "contact_phone"]
        return [str(self._meta.get_field(n).verbose_name) for n in names if not getattr(self, n)]


class Role(models.TextChoices):
    """Stable role codes; labels are translations."""

    ORG_MEMBER = "org_member", _("applicant (member)")
    ORG_ADMIN = "org_admin", _("applicant (organization admin)")
    BUREAU_REVIEWER = "bureau_reviewer", _("bureau reviewer")
    BUREAU_MANAGER = "bureau_manager", _("bureau manager")
    BUREAU_ADMIN = "bureau_admin", _("bureau admin")
    EXPERT = "expert", _("expert reviewer")
    OPERATOR = "operator", _("portal operator")


ORGANIZATION_ROLES = frozenset({Role.ORG_MEMBER, Role.ORG_ADMIN})
BUREAU_ROLES = frozenset({Role.BUREAU_REVIEWER, Role.BUREAU_MANAGER, Role.BUREAU_ADMIN})


class Membership(models.Model):
    """A user's role in an organization, in a bureau, in a bureau's expert pool, or portal-wide."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
    )
    bureau = models.ForeignKey(
        Bureau,
        verbose_name=_("bureau"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
        help_text=_("For staff: their bureau. For experts: the bureau whose pool they are in."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleManager()
    # Unscoped on purpose, read only by portal.visibility and portal.selectors (system decisions).
    all_objects = models.Manager()  # noqa: DJ012 - must follow objects, the default manager

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                name="membership_target_matches_role",
                condition=(
                    Q(
                        role__in=["org_member", "org_admin"],
                        organization__isnull=False,
                        bureau__isnull=True,
                    )
                    | Q(
                        role__in=["bureau_reviewer", "bureau_manager", "bureau_admin", "expert"],
                        bureau__isnull=False,
                        organization__isnull=True,
                    )
                    | Q(role="operator", bureau__isnull=True, organization__isnull=True)
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "organization"],
                condition=Q(organization__isnull=False),
                name="membership_unique_in_organization",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "bureau"],
                condition=Q(bureau__isnull=False),
                name="membership_unique_in_bureau",
            ),
            models.UniqueConstraint(
                fields=["user"], condition=Q(role="operator"), name="membership_unique_operator"
            ),
        ]

    def __str__(self) -> str:
        target = self.organization or self.bureau or ""
        return f"{self.user} · {self.get_role_display()} · {target}"


class AppendOnlyQuerySet(models.QuerySet):
    """Audit records are never changed or deleted through the application (GB/T 22239-2019
    8.1.4.3 c: protect audit records from unexpected deletion, modification or overwriting).
    Only the retention archive (portal.audit_chain) removes rows, with the raw delete it
    documents; PostgreSQL enforces the same with a trigger (migration 0014)."""

    def update(self, **kwargs: Any) -> int:
        raise PermissionError("audit records are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit records are append-only")


class AuditEventManager(VisibleManager.from_queryset(AppendOnlyQuerySet)):  # type: ignore[misc]
    pass


class AuditEvent(models.Model):
    """Append-only security and business audit trail (等保 2.0 安全审计), hash-chained: each
    record carries the hash of the one before it and of its own content (portal.audit_chain)."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("success")
        FAILURE = "failure", _("failure")
        DENIED = "denied", _("denied")

    # Set by portal.audit_chain when the record is appended, inside the chain's lock.
    at = models.DateTimeField(_("time"), default=timezone.now, editable=False, db_index=True)
    actor = models.ForeignKey(
        User,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(_("user name given"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    path = models.CharField(_("path"), max_length=255, blank=True)
    # Whose trail this is, for scoping: the bureau or organization the event concerns.
    bureau = models.ForeignKey(
        Bureau, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    # The chain: the previous record's hash, and this record's hash over that and its content.
    prev_hash = models.CharField(max_length=64, editable=False, default="")
    hash = models.CharField(max_length=64, editable=False, default="")
    hash_algorithm = models.CharField(max_length=8, editable=False, default="")

    objects = AuditEventManager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.outcome}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Invariants, not logic: a record is written once, and only chained (audit.record()).
        if not self._state.adding:
            raise PermissionError("audit records are append-only")
        if not self.hash:
            raise ValueError("append audit records through portal.audit.record()")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("audit records are append-only")


class AuditChainHead(models.Model):
    """The chain's one head row: its lock serializes appends, so concurrent writers never fork
    the chain, and its hash lets the check notice records cut off the end."""

    last_event_id = models.BigIntegerField(null=True, blank=True)
    last_hash = models.CharField(max_length=64)
    appended = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"audit chain head {self.last_event_id}: {self.last_hash[:12]}"


def audit_archive_path(instance: "AuditArchive", filename: str) -> str:
    return f"audit-archive/{filename}"


class AuditArchive(models.Model):
    """Audit records past the retention period, moved to a compressed file in storage.

    ``last_hash`` is the anchor the remaining chain continues from; ``prev_hash`` links the
    archive to the one before it, so archives and table together verify end to end."""

    created_at = models.DateTimeField(_("archived at"), auto_now_add=True)
    file = models.FileField(upload_to=audit_archive_path, max_length=255)
    first_event_id = models.BigIntegerField()
    last_event_id = models.BigIntegerField()
    event_count = models.PositiveIntegerField()
    oldest_at = models.DateTimeField()
    newest_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    last_hash = models.CharField(max_length=64)
    file_digest = models.CharField(max_length=64)
    digest_algorithm = models.CharField(max_length=8)

    class Meta:
        verbose_name = _("audit archive")
        verbose_name_plural = _("audit archives")
        ordering = ["-last_event_id"]

    def __str__(self) -> str:
        return f"audit archive {self.first_event_id}-{self.last_event_id}"


class WorkerHeartbeat(models.Model):
    """Written by the beat-scheduled task, so operators can see background jobs are alive."""

    worker = models.CharField(max_length=255)
    beat_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["worker"], name="heartbeat_unique_worker")]

    def __str__(self) -> str:
        return f"{self.worker} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"


class Deadline(models.Model):
    """Something due at a moment (Asia/Shanghai), for someone, about some object.

    Apps register kinds in ``portal.deadlines``; a kind says who is reminded (resolved at send
    time) and what happens when the moment comes. Changing ``due_at`` bumps ``revision`` so
    reminders are planned again for the new date.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    due_at = models.DateTimeField(_("due at"), db_index=True)
    revision = models.PositiveIntegerField(default=1)
    title = models.CharField(_("title"), max_length=255)
    link = models.CharField(max_length=255, blank=True)
    bureau = models.ForeignKey(
        Bureau, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    subject_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, related_name="+"
    )
    subject_id = models.PositiveBigIntegerField()
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    acted_at = models.DateTimeField(null=True, blank=True)
    # When reminder planning must next look at this deadline: the earliest send instant of an
    # offset not yet planned (now, when the deadline or its policy changes); empty when every
    # offset of this revision is planned. Planning reads only the rows whose moment has come.
    next_plan_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VisibleManager()

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "subject_type", "subject_id"], name="deadline_one_per_subject"
            )
        ]
        indexes = [
            # Planning: the open deadlines whose next reminder instant has come.
            models.Index(
                fields=["next_plan_at"],
                condition=Q(status="open", next_plan_at__isnull=False),
                name="deadline_to_plan",
            ),
            # Due actions: open deadlines past due that have not been acted on.
            models.Index(
                fields=["due_at"],
                condition=Q(status="open", acted_at__isnull=True),
                name="deadline_to_act",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} @ {self.due_at:%Y-%m-%d %H:%M}"


class ReminderPolicy(models.Model):
    """When to remind for a kind of deadline: offsets in days before (negative: overdue)."""

    kind = models.CharField(_("kind"), max_length=64)
    bureau = models.ForeignKey(
        Bureau,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty for the portal-wide default."),
    )
    offsets = models.JSONField(_("days before the deadline"), default=list)
    working_days = models.BooleanField(_("count working days"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("reminder policy")
        verbose_name_plural = _("reminder policies")
        constraints = [
            models.UniqueConstraint(fields=["kind", "bureau"], name="policy_unique_bureau"),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(bureau__isnull=True), name="policy_unique_default"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.offsets}"


class Reminder(models.Model):
    """One (deadline, revision, offset, recipient) send. The unique constraint makes it once."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        COALESCED = "coalesced", _("skipped for a later reminder")

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="reminders")
    revision = models.PositiveIntegerField()
    offset = models.IntegerField()
    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    send_at = models.DateTimeField(db_index=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["deadline", "revision", "offset", "recipient"],
                name="reminder_once_per_offset",
            )
        ]
        indexes = [
            # Claiming: only rows still to send (a sliver of a million) in send order.
            models.Index(
                fields=["send_at", "id"],
                condition=Q(status__in=["pending", "sending"]),
                name="reminder_to_send",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.deadline_id}/{self.revision}/{self.offset} → {self.recipient_id}: {self.status}"
        )


class Notification(models.Model):
    """A message in a user's in-app inbox; rendered in the reader's language from ``params``."""

    class EmailStatus(models.TextChoices):
        NONE = "none", _("not wanted")
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=64)
    params = models.JSONField(default=dict)
    link = models.CharField(max_length=255, blank=True)
    reminder = models.OneToOneField(
        Reminder, null=True, blank=True, on_delete=models.SET_NULL, related_name="notification"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(
        max_length=16, choices=EmailStatus.choices, default=EmailStatus.NONE
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind}"


class NotificationPreference(models.Model):
    """Whether a user also wants email for a kind of notification (the inbox always gets it)."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=64)
    email = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="preference_unique")]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.kind} email={self.email}"


def bundle_path(instance: "DocumentBundle", filename: str) -> str:
    return (
        f"bundles/{timezone.now():%Y/%m}/{instance.kind}-{instance.pk}-{uuid.uuid4().hex[:8]}.pdf"
    )


class DocumentBundle(models.Model):
    """A generated PDF (e.g. the stamped application book) with its verification code and hash."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RENDERING = "rendering", _("being generated")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    kind = models.CharField(max_length=32)
    # What the document is of (an application, a review round, a pilot enterprise…): a typed
    # relation, so who may see the document follows who may see its subject (portal.visibility).
    # Subject models declare ``GenericRelation`` named ``bundles``, which deletes a subject's
    # documents with it.
    subject_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, related_name="+"
    )
    subject_id = models.PositiveBigIntegerField()
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    bureau = models.ForeignKey(
        Bureau, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    source_hash = models.CharField(max_length=64)
    code = models.CharField(_("verification code"), max_length=14, unique=True)
    sha256 = models.CharField(max_length=64, blank=True)
    file = models.FileField(upload_to=bundle_path, max_length=255, blank=True)
    pages = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    # Characters of the text the shipped font cannot print, when that stopped the render.
    unprintable = models.CharField(max_length=100, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleManager()

    class Meta:
        constraints = [
            # Subject first: the visibility rule looks bundles up by subject type and ids.
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "kind"], name="bundle_one_per_subject"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.code} ({self.status})"

    @property
    def subject(self) -> Any:
        """The instance the document is of (of the model its kind was registered with), read
        through that model's scoped manager: the renderer reads it in the system scope, a request
        in its user's, where a subject the user may not see raises ``DoesNotExist``."""
        model = self.subject_type.model_class()
        if model is None:
            raise LookupError(f"the subject model of bundle {self.pk} is not installed")
        return model._default_manager.get(pk=self.subject_id)

    def unprintable_listed(self) -> str:
        """The characters with their code points, as the user is told them: 䶮 (U+4DAE)."""
        return "、".join(f"{c} (U+{ord(c):04X})" for c in self.unprintable)


class StatusEvent(models.Model):
    """Every status transition of a tenant-owned record: who, when, from, to, why (DESIGN.md §4).

    Written by ``portal.workflow.transition`` only; application books keep their own
    ``ApplicationEvent`` rows, which that helper writes for them."""

    subject_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, related_name="+"
    )
    subject_id = models.PositiveBigIntegerField()
    field = models.CharField(max_length=32, default="status")
    from_status = models.CharField(max_length=32, blank=True)
    to_status = models.CharField(max_length=32)
    note = models.TextField(blank=True)
    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    bureau = models.ForeignKey(
        Bureau, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    objects = VisibleManager()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["subject_type", "subject_id", "at"])]

    def __str__(self) -> str:
        return f"{self.subject_type_id}:{self.subject_id} {self.from_status} → {self.to_status}"


class CalendarDay(models.Model):
    """A day of the statutory calendar as the State Council's annual notice sets it: a holiday, or
    a weekend day made a working day. Maintained by the portal operator (admin or
    ``manage.py load_holidays``); it is read before the library's data, so a year the library does
    not know yet can be entered as soon as the notice is published."""

    day = models.DateField(_("day"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=50, blank=True, help_text=_("e.g. 春节"))
    source = models.CharField(
        _("source"), max_length=200, blank=True, help_text=_("The notice that sets the day.")
    )

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {self.name}"


def export_path(instance: "ExportJob", filename: str) -> str:
    return f"exports/{timezone.now():%Y/%m}/{instance.pk}-{uuid.uuid4().hex[:8]}-{filename}"


class ExportJob(models.Model):
    """A large export written by a worker (DESIGN.md §7): the exporter's identifier and the page's
    filters are stored, so the worker rebuilds the same table in the requester's scope."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("being written")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="export_jobs")
    identifier = models.CharField(max_length=64)
    file_format = models.CharField(max_length=8, default="xlsx")
    params = models.JSONField(default=dict, blank=True)
    title = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(null=True, blank=True)
    rows_written = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to=export_path, max_length=255, blank=True)
    error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = VisibleManager()

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="exportjob_user_recent")]

    def __str__(self) -> str:
        return f"{self.identifier} {self.status}"

    @property
    def progress(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, self.rows_written * 100 // self.total_rows)


# Defined beside the core models, importing none of them (one way).
from .personal import ApiToken, IdempotencyKey, UserSession  # noqa: E402, F401
