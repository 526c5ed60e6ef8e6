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
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from typing import Any

from celery import shared_task
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import send_mail
from django.db import connection, models, transaction
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
PLAN_BATCH = 500  # deadlines planned per transaction
# ``next_plan_at`` of a deadline to plan at the very next tick (new, moved, or its policy changed):
# earlier than any tick, so it comes first in planning order.
PLAN_AT_NEXT_TICK = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class DeadlineKind:
    code: str
    label: Callable[[], str]
    recipients: Callable[[Deadline], Iterable[int]]  # user ids, resolved when sending
    default_offsets: tuple[int, ...] = (7, 3, 1, 0)
    working_days: bool = False
    on_due: Callable[[Deadline], None] | None = None
    # Recipients of a whole batch of deadlines of this kind at once ({deadline id: user ids}),
    # for kinds with many deadlines; without it, ``recipients`` is asked per deadline.
    recipients_many: Callable[[list[Deadline]], dict[int, Iterable[int]]] | None = None
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
            deadline.next_plan_at = PLAN_AT_NEXT_TICK  # the new revision is planned anew
        if deadline.pk is None:
            deadline.next_plan_at = PLAN_AT_NEXT_TICK
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


def policy_for(
    deadline: Deadline, policies: dict[tuple[str, int | None], ReminderPolicy] | None = None
) -> tuple[list[int], bool]:
    """The bureau's own policy, else its ancestors', else the portal default, else the kind's.

    ``policies`` (every policy by kind and bureau) spares a query per deadline when planning."""
    kind = KINDS[deadline.kind]
    if policies is None:
        policies = {
            (p.kind, p.bureau_id): p for p in ReminderPolicy.objects.filter(kind=deadline.kind)
        }
    bureau = deadline.bureau
    while bureau is not None:
        own = policies.get((deadline.kind, bureau.pk))
        if own is not None:
            return list(own.offsets), own.working_days
        bureau = bureau.parent
    default = policies.get((deadline.kind, None))
    if default is not None:
        return list(default.offsets), default.working_days
    return list(kind.default_offsets), kind.working_days


def replan(*, kind: str, bureau: Bureau | None) -> int:
    """Plan the open deadlines of ``kind`` under ``bureau`` (all, for the portal default) again."""
    # Planning bookkeeping across the bureau's subtree, whoever changed the policy.
    with visibility_scope(Visibility.system()):
        deadlines = Deadline.objects.filter(kind=kind, status=Deadline.Status.OPEN)
        if bureau is not None:
            deadlines = deadlines.filter(bureau__path__startswith=bureau.path)
        return deadlines.update(next_plan_at=PLAN_AT_NEXT_TICK)


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


def plan_reminders(
    now: datetime | None = None, *, batch: int = PLAN_BATCH, max_seconds: float = 30
) -> int:
    """Create the reminder rows that are due now; return how many will be sent.

    Only deadlines whose ``next_plan_at`` has come are read, through a partial index, a batch at
    a time, each batch locked (``SKIP LOCKED``) so two planners share the work instead of
    repeating it; a quiet tick is one indexed query whatever the number of open deadlines. Each
    batch runs a fixed number of queries (recipients aside, which a kind may also resolve for a
    whole batch) and leaves every deadline with its next moment, so planning resumes where it
    stopped.
    """
    now = now or timezone.now()
    started = time.monotonic()
    planned = 0
    # The beat plans reminders for every tenant; each is then sent to its own recipient only.
    with visibility_scope(Visibility.system()):
        to_plan = Deadline.objects.filter(status=Deadline.Status.OPEN, next_plan_at__lte=now)
        if not to_plan.exists():
            return 0  # a quiet tick: one indexed read
        while time.monotonic() - started < max_seconds:
            with transaction.atomic():
                deadlines = list(
                    to_plan.select_for_update(skip_locked=True, of=("self",))
                    .select_related("bureau__parent__parent")
                    .order_by("next_plan_at")[:batch]
                )
                if not deadlines:
                    break
                planned += _plan_batch(deadlines, now)
            if len(deadlines) < batch:
                break
    return planned


def _plan_batch(deadlines: list[Deadline], now: datetime) -> int:
    policies = {(p.kind, p.bureau_id): p for p in ReminderPolicy.objects.all()}
    existing: dict[int, set[tuple[int, int]]] = {d.pk: set() for d in deadlines}
    revisions = {d.pk: d.revision for d in deadlines}
    for deadline_id, revision, offset, user_id in Reminder.objects.filter(
        deadline_id__in=list(revisions)
    ).values_list("deadline_id", "revision", "offset", "recipient_id"):
        if revisions[deadline_id] == revision:
            existing[deadline_id].add((offset, user_id))
    recipients = _recipients(deadlines)
    rows: list[Reminder] = []
    watermarks: dict[int, datetime | None] = {}
    for deadline in deadlines:
        if deadline.kind not in KINDS:
            watermarks[deadline.pk] = None
            continue
        offsets, working_days = policy_for(deadline, policies)
        instants = sorted(
            (send_instant(deadline.due_at, offset, working_days), offset) for offset in set(offsets)
        )
        due = [(instant, offset) for instant, offset in instants if instant <= now]
        watermarks[deadline.pk] = next((i for i, _o in instants if i > now), None)
        if due:
            rows += _reminder_rows(deadline, due, recipients.get(deadline.pk, ()), existing)
    created = Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    Deadline.objects.bulk_update(
        [Deadline(pk=pk, next_plan_at=moment) for pk, moment in watermarks.items()],
        ["next_plan_at"],
        batch_size=1000,
    )
    return sum(1 for r in created if r.status == Reminder.Status.PENDING)


def _recipients(deadlines: list[Deadline]) -> dict[int, Iterable[int]]:
    """Who each deadline reminds: per kind, in one call where the kind can resolve a batch."""
    by_kind: dict[str, list[Deadline]] = {}
    for deadline in deadlines:
        by_kind.setdefault(deadline.kind, []).append(deadline)
    found: dict[int, Iterable[int]] = {}
    for code, group in by_kind.items():
        kind = KINDS.get(code)
        if kind is None:
            continue
        if kind.recipients_many is not None:
            found.update(kind.recipients_many(group))
        else:
            found.update({d.pk: kind.recipients(d) for d in group})
    return found


def _reminder_rows(
    deadline: Deadline,
    due: list[tuple[datetime, int]],
    recipients: Iterable[int],
    existing: dict[int, set[tuple[int, int]]],
) -> list[Reminder]:
    """The missing (offset, recipient) rows; when several offsets fell due while planning was
    down, only the latest is sent and the earlier ones are recorded as coalesced."""
    sent = existing[deadline.pk]
    rows = []
    for user_id in set(recipients):
        missing = [(instant, offset) for instant, offset in due if (offset, user_id) not in sent]
        latest_sent = max((i for i, o in due if (o, user_id) in sent), default=None)
        for index, (instant, offset) in enumerate(missing):
            is_latest = index == len(missing) - 1 and (latest_sent is None or instant > latest_sent)
            rows.append(
                Reminder(
                    deadline=deadline,
                    revision=deadline.revision,
                    offset=offset,
                    recipient_id=user_id,
                    send_at=instant,
                    status=Reminder.Status.PENDING if is_latest else Reminder.Status.COALESCED,
                )
            )
    return rows


def send_pending(
    *, worker: str, now: datetime | None = None, batch: int = 50, max_seconds: float = 50
) -> int:
    """Claim and deliver pending reminders until none are left or time is up."""
    started = time.monotonic()
    timeout = timedelta(seconds=settings.PORTAL_REMINDER_CLAIM_TIMEOUT)
    delivered = 0
    while time.monotonic() - started < max_seconds:
        ids = claim_reminders(
            worker=worker, now=now or timezone.now(), timeout=timeout, batch=batch
        )
        if not ids:
            break
        for reminder_id in ids:
            delivered += _deliver(reminder_id, worker)
            if settings.PORTAL_REMINDER_THROTTLE_SECONDS:
                time.sleep(settings.PORTAL_REMINDER_THROTTLE_SECONDS)
    return delivered


def claim_reminders(*, worker: str, now: datetime, timeout: timedelta, batch: int) -> list[int]:
    """Mark up to ``batch`` due reminders as this worker's, oldest first, in one statement: the
    rows still to send are read through their partial index and locked with ``SKIP LOCKED``, so
    two workers never claim the same row; a dead worker's claim older than ``timeout`` is taken
    over. (One round trip: the ORM cannot return the ids an UPDATE touched.)"""
    table = Reminder._meta.db_table
    # The portal's own queue of reminders (not tenant data shown to anyone): ids come back only.
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} SET status = %s, claimed_by = %s, claimed_at = %s
            WHERE id IN (
                SELECT id FROM {table}
                WHERE status = %s OR (status = %s AND claimed_at < %s)
                ORDER BY send_at, id
                LIMIT %s
                FOR UPDATE SKIP LOCKED
            )
            RETURNING id
            """,  # noqa: S608 - the table name is the model's own; values are parameters
            [
                Reminder.Status.SENDING,
                worker,
                now,
                Reminder.Status.PENDING,
                Reminder.Status.SENDING,
                now - timeout,
                batch,
            ],
        )
        return sorted(row[0] for row in cursor.fetchall())


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
    return send_pending(worker=worker_name(), max_seconds=60)


@shared_task(
    name="portal.tasks.plan_due_reminders", ignore_result=True, time_limit=60, soft_time_limit=50
)
def plan_due_reminders() -> int:
    """The beat's planning tick, apart from sending, so a sending backlog never delays it."""
    return plan_reminders(max_seconds=30)


@shared_task(
    name="portal.tasks.send_due_reminders", ignore_result=True, time_limit=120, soft_time_limit=100
)
def send_due_reminders() -> int:
    """The beat's sending tick: claims batches until none are left or its time is up."""
    return send_pending(worker=worker_name(), max_seconds=80)


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
