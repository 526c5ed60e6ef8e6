"""The deadlines of calls and books, registered with the portal's one deadline mechanism."""

from django.utils.translation import gettext_lazy as _

from portal.deadlines import DeadlineKind, register
from portal.models import Deadline
from portal.selectors import organization_member_ids

from .models import Application, Call, CorrectionRequest


def _members_of(organization_ids) -> list[int]:
    return organization_member_ids(organization_ids)


def call_close_recipients(deadline: Deadline) -> list[int]:
    """Members of every organization whose book for the call is not yet submitted."""
    organizations = Application.objects.filter(
        call_id=deadline.subject_id,
        status__in=[Application.Status.DRAFT, Application.Status.WITHDRAWN],
    ).values_list("organization_id", flat=True)
    return _members_of(organizations)


def call_close_action(deadline: Deadline) -> None:
    """At the deadline the call closes: no more submissions (also refused by time alone)."""
    Call.objects.filter(pk=deadline.subject_id, status=Call.Status.PUBLISHED).update(
        status=Call.Status.CLOSED
    )
    Deadline.objects.filter(pk=deadline.pk).update(status=Deadline.Status.DONE)


def correction_recipients(deadline: Deadline) -> list[int]:
    correction = (
        CorrectionRequest.objects.select_related("application")
        .filter(pk=deadline.subject_id)
        .first()
    )
    if correction is None or correction.application.status != Application.Status.RETURNED:
        return []
    return _members_of([correction.application.organization_id])


def correction_action(deadline: Deadline) -> None:
    Deadline.objects.filter(pk=deadline.pk).update(status=Deadline.Status.DONE)


CALL_CLOSE = register(
    DeadlineKind(
        code="call_close",
        label=lambda: str(_("Call closes")),
        recipients=call_close_recipients,
        default_offsets=(7, 3, 1, 0),
        on_due=call_close_action,
    )
)
CORRECTION_DUE = register(
    DeadlineKind(
        code="correction_due",
        label=lambda: str(_("Correction due")),
        recipients=correction_recipients,
        default_offsets=(3, 1, 0),
        on_due=correction_action,
    )
)


# Not a deadline: the inbox kind of a book's outcomes (its label, and the user's email choice).
APPLICATION_OUTCOME = register(
    DeadlineKind(
        code="application_outcome",
        label=lambda: str(_("Outcome of your application")),
        recipients=lambda deadline: [],
    )
)
