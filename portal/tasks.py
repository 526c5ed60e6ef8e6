import socket
from typing import Any

from celery import Task, shared_task

from . import audit_chain
from .bundles import bundles_resume, render_document_bundle
from .deadlines import (
    dispatch_reminders,
    plan_due_reminders,
    run_deadline_actions,
    send_due_reminders,
    send_notification_email,
    worker_name,
)
from .export_jobs import export_jobs_resume, run_export_job
from .models import User, WorkerHeartbeat
from .scoping import visibility_scope
from .visibility import Visibility

# Tasks live next to the services they run (a service queues its own task without importing this
# module back); they are re-exported here, where Celery's autodiscovery looks for them.
__all__ = [
    "ScopedTask",
    "archive_audit_records",
    "dispatch_reminders",
    "plan_due_reminders",
    "record_heartbeat",
    "resume_stalled_jobs",
    "render_document_bundle",
    "run_deadline_actions",
    "run_export_job",
    "send_due_reminders",
    "send_notification_email",
    "worker_name",
]


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


@shared_task(
    name="portal.tasks.record_heartbeat", ignore_result=True, time_limit=60, soft_time_limit=50
)
def record_heartbeat() -> None:
    """Beat-scheduled every minute; operators see its age on their home page and /healthz."""
    WorkerHeartbeat.objects.update_or_create(worker=socket.gethostname())


@shared_task(
    name="portal.tasks.resume_stalled_jobs", ignore_result=True, time_limit=60, soft_time_limit=50
)
def resume_stalled_jobs() -> int:
    """Beat-scheduled: documents and exports whose worker died are queued again."""
    return bundles_resume() + export_jobs_resume()


@shared_task(
    name="portal.tasks.archive_audit_records",
    ignore_result=True,
    time_limit=30 * 60,
    soft_time_limit=29 * 60,
)
def archive_audit_records() -> int:
    """Beat-scheduled daily: records past the retention period go to an archive file. Two runs
    at once are harmless: each archives under the chain head's lock, the second finds nothing."""
    archived = 0
    while (archive := audit_chain.archive_expired()) is not None:
        archived += archive.event_count
    return archived
