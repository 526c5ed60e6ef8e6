import logging
import os
import socket
from typing import Any

from celery import Task, shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation

from .models import Notification, User, WorkerHeartbeat
from .scoping import visibility_scope
from .visibility import Visibility

logger = logging.getLogger(__name__)


class ScopedTask(Task):
    """Base for tasks acting for a user: the first argument is ``acting_user_id``.

    The task reloads the user and runs inside their visibility scope, so a task sees exactly
    what the user would see in a request (a deactivated user sees nothing). Queue with
    ``transaction.on_commit(lambda: task.delay(user.pk, …))``.
    """

    abstract = True

    def __call__(self, acting_user_id: int, *args: Any, **kwargs: Any) -> Any:
        user = User.objects.filter(pk=acting_user_id, is_active=True).first()
        with visibility_scope(Visibility.for_user(user)):
            return super().__call__(acting_user_id, *args, **kwargs)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@shared_task(
    name="portal.tasks.record_heartbeat", ignore_result=True, time_limit=60, soft_time_limit=50
)
def record_heartbeat() -> None:
    """Beat-scheduled every minute; operators see its age on their home page and /healthz."""
    WorkerHeartbeat.objects.update_or_create(worker=socket.gethostname())


@shared_task(
    name="portal.tasks.dispatch_reminders", ignore_result=True, time_limit=120, soft_time_limit=100
)
def dispatch_reminders() -> int:
    """Plan what is due and send it; safe to run on several workers at once."""
    from .deadlines import plan_reminders, send_pending

    plan_reminders()
    return send_pending(worker=worker_name(), max_seconds=90)


@shared_task(
    name="portal.tasks.run_deadline_actions",
    ignore_result=True,
    time_limit=120,
    soft_time_limit=100,
)
def run_deadline_actions() -> int:
    from .deadlines import run_due_actions

    return run_due_actions()


@shared_task(
    name="portal.tasks.send_notification_email",
    ignore_result=True,
    time_limit=60,
    soft_time_limit=50,
)
def send_notification_email(notification_id: int) -> None:
    """At most once: the row is claimed (pending → sent) before the mail goes out."""
    from .deadlines import render

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


@shared_task(
    name="portal.tasks.render_document_bundle",
    ignore_result=True,
    acks_late=True,
    time_limit=30 * 60,
    soft_time_limit=29 * 60,
)
def render_document_bundle(bundle_id: int) -> bool:
    """Render a generated document; safe to run twice (the render is claimed)."""
    from .bundles import bundle_render

    return bundle_render(bundle_id)
