"""Status transitions: one helper that moves a record, writes its event row and its audit record.

Statuses are stable codes in a column (DESIGN.md §4); every transition appends an event row
(actor, time, from, to, note) and an audit event. A model whose events have rows of their own (an
application book's ``ApplicationEvent``) registers a writer for them with :func:`register_events`
from its app's ``AppConfig.ready()``; every other model gets a ``StatusEvent`` row.
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from . import audit
from .models import Bureau, Organization, StatusEvent, User

EventWriter = Callable[[Any, str, str, "User | None", str], None]
EVENT_WRITERS: dict[type[models.Model], EventWriter] = {}


def register_events(model: type[models.Model], writer: EventWriter) -> None:
    """Write ``model``'s transitions as its own event rows instead of ``StatusEvent``."""
    EVENT_WRITERS[model] = writer


def transition(
    subject: models.Model,
    to: str,
    *,
    actor: User | None,
    action: str,
    bureau: Bureau | None = None,
    organization: Organization | None = None,
    note: str = "",
    detail: dict[str, Any] | None = None,
    field: str = "status",
    fields: Sequence[str] = (),
) -> str:
    """Move ``subject`` to status ``to``, saving ``field`` and ``fields``; returns the previous
    status. The caller holds the row (locked where two users may race) and has checked
    permission and the transition's preconditions."""
    previous = getattr(subject, field)
    setattr(subject, field, to)
    subject.save(update_fields=[field, *fields])
    writer = EVENT_WRITERS.get(type(subject))
    if writer is not None:
        writer(subject, previous, to, actor, note)
    else:
        StatusEvent(
            subject_type=ContentType.objects.get_for_model(subject),
            subject_id=subject.pk,
            field=field,
            from_status=previous,
            to_status=to,
            note=note,
            actor=actor,
            bureau=bureau,
            organization=organization,
        ).save()
    audit.record_for(
        subject,
        action=action,
        actor=actor,
        bureau=bureau,
        organization=organization,
        detail={"from": previous, "to": to, **(detail or {})},
    )
    return previous
