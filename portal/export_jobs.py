"""Exports as jobs: a page's export runs in a worker when it is large (DESIGN.md §7).

The request stores the exporter's identifier and the page's filters; the worker claims the job
with a conditional update (two workers never write the same job; a claim older than
``PORTAL_JOB_CLAIM_TIMEOUT`` is a dead worker's and is taken over, re-queued by the beat), rebuilds the exporter in the requester's
own visibility scope, so a job sees exactly what its user would see in the page, and streams the
rows into a file with progress. Memory stays flat: rows are written as they are read.
"""

import tempfile
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import audit, exporters
from .models import AuditEvent, ExportJob, User
from .params import text_param
from .scoping import visibility_scope
from .visibility import Visibility

# Exports with more rows than this run as jobs; smaller ones are answered in the request.
INLINE_MAX_ROWS = getattr(settings, "EXPORT_INLINE_MAX_ROWS", 5000)


def export_params(query: Any) -> dict[str, str]:
    """The page's filters from its query string: one value per name, paging and format dropped."""
    names = [n for n in list(query.keys())[:30] if n.isidentifier() and len(n) <= 40]
    return {
        name: text_param(query, name, max_length=200)
        for name in names
        if name not in ("page", "format", "background", "table")
    }


def export_job_request(
    *,
    user: Any,
    exporter: exporters.Exporter,
    file_format: str,
    params: dict[str, str],
) -> ExportJob:
    """Queue a job writing ``exporter``'s table for ``user``; the worker rebuilds it from params."""
    job = ExportJob.objects.create(
        user=user,
        identifier=exporter.identifier,
        file_format=file_format if file_format in exporters.FORMATS else "xlsx",
        params=params,
        title=str(exporter.filename())[:200],
        total_rows=exporter.count(),
    )
    audit.record_for(
        job,
        action="export_requested",
        actor=user,
        detail={"identifier": exporter.identifier, "params": params, "rows": job.total_rows},
    )
    transaction.on_commit(lambda: run_export_job.delay(job.pk))
    return job


def export_job_run(job_id: int) -> bool:
    """Write a queued job if this worker can claim it. Returns whether it wrote the file."""
    now = timezone.now()
    # The worker claims by primary key before it knows whose job it is; it then writes in the
    # requester's own scope below, and downloads go through visible_or_404.
    with visibility_scope(Visibility.system()):
        claimed = (
            ExportJob.objects.filter(pk=job_id)
            .filter(
                Q(status=ExportJob.Status.QUEUED)
                | Q(status=ExportJob.Status.RUNNING, claimed_at__lt=now - claim_timeout())
            )
            .update(status=ExportJob.Status.RUNNING, claimed_at=now, rows_written=0)
        )
        if not claimed:
            return False
        job = ExportJob.objects.select_related("user").get(pk=job_id)
    user = User.objects.filter(pk=job.user_id, is_active=True).first()
    with visibility_scope(Visibility.for_user(user)) as scope_visibility:
        try:
            _write(job, scope_visibility)
        except Exception as error:
            ExportJob.objects.filter(pk=job_id).update(
                status=ExportJob.Status.FAILED, error=str(error)[:2000], finished_at=timezone.now()
            )
            raise
    return True


def _write(job: ExportJob, scope_visibility: Visibility) -> None:
    exporter_class = exporters.listable(job.identifier)
    if exporter_class is None or not exporter_class.allowed(scope_visibility):
        # The exporter is gone or the user lost the role since asking: nothing is written.
        raise PermissionError(f"{job.user_id} may no longer export {job.identifier}")
    exporter = exporter_class.from_params(visibility=scope_visibility, params=job.params)

    def progress(rows: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(rows_written=rows)

    with tempfile.TemporaryFile() as out:
        rows = exporter.write(out, job.file_format, progress)
        out.seek(0)
        job.file.save(f"{job.identifier}.{job.file_format}", File(out), save=False)
    job.rows_written, job.total_rows = rows, job.total_rows if job.total_rows else rows
    job.status, job.finished_at = ExportJob.Status.DONE, timezone.now()
    job.save(update_fields=["file", "rows_written", "total_rows", "status", "finished_at"])
    audit.record_for(
        job,
        action="export_written",
        actor=job.user,
        detail={"identifier": job.identifier, "rows": rows},
        outcome=AuditEvent.Outcome.SUCCESS,
    )


def claim_timeout() -> timedelta:
    return timedelta(seconds=settings.PORTAL_JOB_CLAIM_TIMEOUT)


def export_jobs_resume(now: Any = None) -> int:
    """Queue again the jobs nobody is writing (a dead worker's claim, or a lost message)."""
    now = now or timezone.now()
    stale = now - claim_timeout()
    # The beat looks across users for stalled jobs; it only re-queues them by id.
    with visibility_scope(Visibility.system()):
        ids = list(
            ExportJob.objects.filter(
                Q(status=ExportJob.Status.QUEUED, created_at__lt=stale)
                | Q(status=ExportJob.Status.RUNNING, claimed_at__lt=stale)
            ).values_list("pk", flat=True)[:500]
        )
    for job_id in ids:
        run_export_job.delay(job_id)
    return len(ids)


@shared_task(
    name="portal.tasks.run_export_job",
    ignore_result=True,
    acks_late=True,
    time_limit=60 * 60,
    soft_time_limit=59 * 60,
)
def run_export_job(job_id: int) -> bool:
    """Write a large export; safe to run twice (the job is claimed)."""
    return export_job_run(job_id)
