"""Deadlines of review: the end of a publicity period (5 days in 001 §三(四))."""

from django.utils.translation import gettext_lazy as _

from portal.deadlines import DeadlineKind, register
from portal.models import Deadline, Role
from portal.selectors import bureau_user_ids

from .models import Publicity


def publicity_recipients(deadline: Deadline) -> list[int]:
    """The issuing bureau's managers, who finalise the selection."""
    return bureau_user_ids(deadline.bureau_id, [Role.BUREAU_MANAGER, Role.BUREAU_ADMIN])


def publicity_end_action(deadline: Deadline) -> None:
    """The publicity ends by itself: the selection is then ready to finalise."""
    Publicity.objects.filter(pk=deadline.subject_id, status=Publicity.Status.PUBLISHED).update(
        status=Publicity.Status.ENDED
    )
    Deadline.objects.filter(pk=deadline.pk).update(status=Deadline.Status.DONE)


PUBLICITY_END = register(
    DeadlineKind(
        code="publicity_end",
        label=lambda: str(_("Publicity ends")),
        recipients=publicity_recipients,
        default_offsets=(1, 0),
        on_due=publicity_end_action,
    )
)
