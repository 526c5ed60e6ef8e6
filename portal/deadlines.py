"""One deadline mechanism for every app (DESIGN.md §5, §7).

Apps register a :class:`DeadlineKind` (who is reminded, resolved at send time; what happens at
the deadline) and call :func:`deadline_set` when something gets a due date. The beat runs
:func:`plan_reminders` + :func:`send_pending` and :func:`run_due_actions` every minute.

Exactly once: a reminder is a row unique on (deadline, revision, offset, recipient), claimed by
one worker with ``SELECT … FOR UPDATE SKIP LOCKED`` and delivered in the same transaction that
creates the inbox message (itself unique per reminder). A worker killed mid-send leaves its
claim, which another worker takes over after ``PORTAL_REMINDER_CLAIM_TIMEOUT``. Catch-up: when
several offsets of a deadline fell due while the beat was down, only the latest is sent and the
earlier ones are recorded as coalesced.
"""

import logging
import os
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock
from typing import Any

from celery import shared_task
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import (
    Bureau,
    Deadline,
    Notification,
    NotificationPreference,
    Organization,
    Reminder,
    ReminderPolicy,
    User,
)
from .scoping import visibility_scope
from .visibility import Visibility
from .workdays import add_working_days

REMIND_AT = clock(9, 0)  # reminders arrive in the morning, Beijing time
PLANNING_WINDOW = timedelta(days=60)


@dataclass(frozen=True)
class DeadlineKind:
    code: str
    label: Callable[[], str]
    recipients: Callable[[Deadline], Iterable[int]]  # user ids, resolved when sending
    default_offsets: tuple[int, ...] = (7, 3, 1, 0)
    working_days: bool = False
    on_due: Callable[[Deadline], None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


KINDS: dict[str, DeadlineKind] = {}


def register(kind: DeadlineKind) -> DeadlineKind:
    KINDS[kind.code] = kind
    return kind


# --- services -------------------------------------------------------------------------------------
def deadline_set(
    *,
    kind: str,
    subject: models.Model,
    due_at: datetime,
    title: str,
    link: str = "",
    bureau: Bureau | None = None,
    organization: Organization | None = None,
) -> Deadline:
    """Create or move the deadline of ``kind`` for ``subject``. Moving it plans reminders anew."""
    if kind not in KINDS:
        raise LookupError(f"unregistered deadline kind {kind!r}")
    subject_type = ContentType.objects.get_for_model(subject)
    # A deadline is the portal's own bookkeeping: the caller already checked the subject, and
    # the row must be found and moved whoever sets it.
    with visibility_scope(Visibility.system()), transaction.atomic():
        deadline = (
            Deadline.objects.select_for_update()
            .filter(kind=kind, subject_type=subject_type, subject_id=subject.pk)
            .first()
        )
        if deadline is None:
            deadline = Deadline(
                kind=kind, subject_type=subject_type, subject_id=subject.pk, due_at=due_at
            )
        elif deadline.due_at != due_at or deadline.status != Deadline.Status.OPEN:
            deadline.revision += 1
            deadline.due_at = due_at
            deadline.status = Deadline.Status.OPEN
            deadline.acted_at = None
        deadline.title, deadline.link = title[:255], link[:255]
        deadline.bureau, deadline.organization = bureau, organization
        deadline.save()
    return deadline


def deadline_close(*, kind: str, subject: models.Model, status: str = Deadline.Status.DONE) -> None:
    """The thing is done (or cancelled): no more reminders, no due action."""
    subject_type = ContentType.objects.get_for_model(subject)
    # As in deadline_set: closing is bookkeeping for whoever finished the thing.
    with visibility_scope(Visibility.system()):
        Deadline.objects.filter(
            kind=kind, subject_type=subject_type, subject_id=subject.pk, status=Deadline.Status.OPEN
        ).update(status=status, updated_at=timezone.now())


def policy_for(deadline: Deadline) -> tuple[list[int], bool]:
    """The bureau's own policy, else its ancestors', else the portal default, else the kind's."""
    kind = KINDS[deadline.kind]
    policies = {p.bureau_id: p for p in ReminderPolicy.objects.filter(kind=deadline.kind)}
    bureau = deadline.bureau
    while bureau is not None:
        if bureau.pk in policies:
            return list(policies[bureau.pk].offsets), policies[bureau.pk].working_days
        bureau = bureau.parent
    if None in policies:
        return list(policies[None].offsets), policies[None].working_days
    return list(kind.default_offsets), kind.working_days


def send_instant(due_at: datetime, offset: int, working_days: bool) -> datetime:
    """09:00 Beijing time ``offset`` (working) days before the due date; never after the deadline
    for offsets ≥ 0."""
    due_local = timezone.localtime(due_at)
    day = (
        add_working_days(due_local.date(), -offset)
        if working_days
        else due_local.date() - timedelta(days=offset)
    )
    instant = timezone.make_aware(datetime.combine(day, REMIND_AT))
    if offset >= 0 and instant > due_at:
        instant = due_at - timedelta(hours=1) if offset == 0 else instant
    return instant


def plan_reminders(now: datetime | None = None) -> int:
    """Create the reminder rows that are due now; return how many will be sent."""
    now = now or timezone.now()
    planned = 0
    # The beat plans reminders for every tenant; each is then sent to its own recipient only.
    with visibility_scope(Visibility.system()):
        deadlines = Deadline.objects.filter(
            status=Deadline.Status.OPEN,
            due_at__gte=now - PLANNING_WINDOW,
            due_at__lte=now + PLANNING_WINDOW,
        ).select_related("bureau__parent__parent")
        for deadline in deadlines:
            kind = KINDS.get(deadline.kind)
            if kind is None:
                continue
            offsets, working_days = policy_for(deadline)
            due = sorted(
                (
                    (send_instant(deadline.due_at, offset, working_days), offset)
                    for offset in set(offsets)
                ),
                key=lambda pair: pair[0],
            )
            due = [(instant, offset) for instant, offset in due if instant <= now]
            if not due:
                continue
            recipients = set(kind.recipients(deadline))
            existing = set(
                Reminder.objects.filter(deadline=deadline, revision=deadline.revision).values_list(
                    "offset", "recipient_id"
                )
            )
            rows = []
            for user_id in recipients:
                missing = [
                    (instant, offset)
                    for instant, offset in due
                    if (offset, user_id) not in existing
                ]
                latest_sent = max((i for i, o in due if (o, user_id) in existing), default=None)
                for index, (instant, offset) in enumerate(missing):
                    is_latest = index == len(missing) - 1 and (
                        latest_sent is None or instant > latest_sent
                    )
                    rows.append(
                        Reminder(
                            deadline=deadline,
                            revision=deadline.revision,
                            offset=offset,
                            recipient_id=user_id,
                            send_at=instant,
                            status=Reminder.Status.PENDING
                            if is_latest
                            else Reminder.Status.COALESCED,
                        )
                    )
            created = Reminder.objects.bulk_create(rows, ignore_conflicts=True)
            planned += sum(1 for r in created if r.status == Reminder.Status.PENDING)
    return planned


def send_pending(
    *, worker: str, now: datetime | None = None, batch: int = 50, max_seconds: float = 50
) -> int:
    """Claim and deliver pending reminders until none are left or time is up."""
    started = time.monotonic()
    timeout = timedelta(seconds=settings.PORTAL_REMINDER_CLAIM_TIMEOUT)
    delivered = 0
    while time.monotonic() - started < max_seconds:
        moment = now or timezone.now()
        with transaction.atomic():
            ids = list(
                Reminder.objects.select_for_update(skip_locked=True)
                .filter(
                    Q(status=Reminder.Status.PENDING)
                    | Q(status=Reminder.Status.SENDING, claimed_at__lt=moment - timeout)
                )
                .order_by("send_at", "pk")
                .values_list("pk", flat=True)[:batch]
            )
            Reminder.objects.filter(pk__in=ids).update(
                status=Reminder.Status.SENDING, claimed_by=worker, claimed_at=moment
            )
        if not ids:
            break
        for reminder_id in ids:
            delivered += _deliver(reminder_id, worker)
            if settings.PORTAL_REMINDER_THROTTLE_SECONDS:
                time.sleep(settings.PORTAL_REMINDER_THROTTLE_SECONDS)
    return delivered


def _deliver(reminder_id: int, worker: str) -> int:
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update()
            .select_related("deadline", "recipient")
            .filter(pk=reminder_id)
            .first()
        )
        if (
            reminder is None
            or reminder.status != Reminder.Status.SENDING
            or reminder.claimed_by != worker
        ):
            return 0  # another worker took it over
        deadline = reminder.deadline
        notification = notify(
            user=reminder.recipient,
            kind=deadline.kind,
            params={
                "title": deadline.title,
                "due_at": deadline.due_at.isoformat(),
                "offset": reminder.offset,
            },
            link=deadline.link,
            reminder=reminder,
        )
        reminder.status, reminder.sent_at = Reminder.Status.SENT, timezone.now()
        reminder.save(update_fields=["status", "sent_at"])
    return 1 if notification else 0


def run_due_actions(now: datetime | None = None) -> int:
    """Run each registered kind's action once its deadline has passed (claimed per deadline)."""
    now = now or timezone.now()
    acted = 0
    # The beat acts on every tenant's due deadlines, each claimed once; nothing is shown.
    with visibility_scope(Visibility.system()):
        for deadline in Deadline.objects.filter(
            status=Deadline.Status.OPEN, acted_at__isnull=True, due_at__lte=now
        ):
            kind = KINDS.get(deadline.kind)
            with transaction.atomic():
                claimed = Deadline.objects.filter(
                    pk=deadline.pk, acted_at__isnull=True, revision=deadline.revision
                ).update(acted_at=now)
                if not claimed:
                    continue
                if kind is not None and kind.on_due is not None:
                    kind.on_due(deadline)
                acted += 1
    return acted


# --- notifications --------------------------------------------------------------------------------
def notify(
    *,
    user: User,
    kind: str,
    params: dict[str, Any],
    link: str = "",
    reminder: Reminder | None = None,
) -> Notification:
    """Put a message in the user's inbox, and queue an email if they want one."""
    wants_email = (
        bool(user.email)
        and NotificationPreference.objects.filter(user=user, kind=kind, email=False).count() == 0
    )
    notification = Notification(
        user=user,
        kind=kind,
        params=params,
        link=link,
        reminder=reminder,
        email_status=Notification.EmailStatus.PENDING
        if wants_email
        else Notification.EmailStatus.NONE,
    )
    notification.save()
    if wants_email:
        transaction.on_commit(lambda: send_notification_email.delay(notification.pk))
    return notification


def notify_users(user_ids: Iterable[int], *, kind: str, text: str, link: str = "") -> int:
    """One inbox message (and email, per preference) to each user: the outcome of something the
    user's organization or bureau is party to. ``kind`` is a registered kind (its label is the
    title; users choose email per kind); ``text`` is stored as written. Returns how many."""
    users = list(User.objects.filter(pk__in=set(user_ids), is_active=True))
    for user in users:
        notify(user=user, kind=kind, params={"text": text}, link=link)
    return len(users)


def kind_label(code: str) -> str:
    kind = KINDS.get(code)
    return kind.label() if kind else code


def render(notification: Notification) -> tuple[str, str]:
    """Title and body in the active language."""
    params = notification.params
    label = kind_label(notification.kind)
    if "offset" in params:
        due_at = timezone.localtime(datetime.fromisoformat(params["due_at"]))
        due = date_format(due_at, "Y-m-d H:i")
        # Calendar days from the day it was sent: right even for a late (coalesced) reminder.
        offset = (due_at.date() - timezone.localtime(notification.created_at).date()).days
        if offset > 0:
            title = ngettext(
                "%(kind)s: “%(title)s” is due in %(days)d day",
                "%(kind)s: “%(title)s” is due in %(days)d days",
                offset,
            )
        elif offset == 0:
            title = _("%(kind)s: “%(title)s” is due today")
        else:
            title = ngettext(
                "%(kind)s: “%(title)s” is %(days)d day overdue",
                "%(kind)s: “%(title)s” is %(days)d days overdue",
                -offset,
            )
        return title % {"kind": label, "title": params.get("title", ""), "days": abs(offset)}, _(
            "Deadline: %(due)s (Beijing time)."
        ) % {"due": due}
    return label, str(params.get("text", ""))


# --- background tasks (named for the beat schedule; re-exported by portal.tasks) ----------------
logger = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@shared_task(
    name="portal.tasks.dispatch_reminders", ignore_result=True, time_limit=120, soft_time_limit=100
)
def dispatch_reminders() -> int:
    """Plan what is due and send it; safe to run on several workers at once."""
    plan_reminders()
    return send_pending(worker=worker_name(), max_seconds=90)


@shared_task(
    name="portal.tasks.run_deadline_actions",
    ignore_result=True,
    time_limit=120,
    soft_time_limit=100,
)
def run_deadline_actions() -> int:
    return run_due_actions()


@shared_task(
    name="portal.tasks.send_notification_email",
    ignore_result=True,
    time_limit=60,
    soft_time_limit=50,
)
def send_notification_email(notification_id: int) -> None:
    """At most once: the row is claimed (pending → sent) before the mail goes out."""
    claimed = Notification.objects.filter(
        pk=notification_id, email_status=Notification.EmailStatus.PENDING
    ).update(email_status=Notification.EmailStatus.SENT)
    if not claimed:
        return
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    with translation.override(settings.LANGUAGE_CODE):
        title, body = render(notification)
    try:
        send_mail(title, body, settings.DEFAULT_FROM_EMAIL, [notification.user.email])
    except Exception:  # the inbox still has it; the failure is visible to operators
        logger.exception("email for notification %s failed", notification_id)
        Notification.objects.filter(pk=notification_id).update(
            email_status=Notification.EmailStatus.FAILED
        )
