"""Deadlines of pilot execution: applying for acceptance within one week of completion (002 附3)."""

from django.utils.translation import gettext_lazy as _

from portal.deadlines import DeadlineKind, register
from portal.models import Deadline
from portal.selectors import organization_member_ids

from .models import PilotEnterprise


def acceptance_recipients(deadline: Deadline) -> list[int]:
    enterprise = PilotEnterprise.objects.filter(
        pk=deadline.subject_id, status=PilotEnterprise.Status.COMPLETED
    ).first()
    return organization_member_ids([enterprise.organization_id]) if enterprise else []


ACCEPTANCE_DUE = register(
    DeadlineKind(
        code="acceptance_due",
        label=lambda: str(_("Acceptance application due")),
        recipients=acceptance_recipients,
        default_offsets=(3, 1, 0),
    )
)
