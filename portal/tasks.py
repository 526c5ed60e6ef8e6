import socket

from celery import shared_task

from .models import WorkerHeartbeat


@shared_task(name="portal.tasks.record_heartbeat", ignore_result=True)
def record_heartbeat() -> None:
    """Beat-scheduled every minute; operators see its age on their home page and /healthz."""
    WorkerHeartbeat.objects.update_or_create(worker=socket.gethostname())
