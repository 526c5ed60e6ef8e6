"""Deadlines of pilot execution: applying for acceptance within one week of completion (002 附3)."""

from django.utils.translation import gettext_lazy as _

from portal.deadlines import DeadlineKind, register
from portal.models import Deadline
from portal.selectors import organization_member_ids, organization_member_map

from .models import PilotEnterprise


def acceptance_recipients(deadline: Deadline) -> list[int]:
    enterprise = PilotEnterprise.objects.filter(
        pk=deadline.subject_id, status=PilotEnterprise.Status.COMPLETED
    ).first()
    return organization_member_ids([enterprise.organization_id]) if enterprise else []


def acceptance_recipients_many(deadlines: list[Deadline]) -> dict[int, list[int]]:
    """The same for a batch of deadlines, in two queries: a province has thousands of them."""
    organizations = dict(
        PilotEnterprise.objects.filter(
            pk__in=[d.subject_id for d in deadlines], status=PilotEnterprise.Status.COMPLETED
        ).values_list("pk", "organization_id")
    )
    members = organization_member_map(set(organizations.values()))
    return {d.pk: members.get(organizations.get(d.subject_id, -1), []) for d in deadlines}


ACCEPTANCE_DUE = register(
    DeadlineKind(
        code="acceptance_due",
        label=lambda: str(_("Acceptance application due")),
        recipients=acceptance_recipients,
        recipients_many=acceptance_recipients_many,
        default_offsets=(3, 1, 0),
    )
)


def rectification_recipients(deadline: Deadline) -> list[int]:
    """Staff of the bureau running the programme, while the rectification is open."""
    from portal.models import BUREAU_ROLES
    from portal.selectors import bureau_user_ids

    from .models import ProgrammeEvaluation

    evaluation = (
        ProgrammeEvaluation.objects.filter(
            pk=deadline.subject_id, status=ProgrammeEvaluation.Status.RECTIFYING
        )
        .select_related("programme")
        .first()
    )
    return bureau_user_ids(evaluation.programme.bureau_id, BUREAU_ROLES) if evaluation else []


# Rectification within two (calendar) months of the city's on-site evaluation (002 §七.3).
PROGRAMME_RECTIFICATION_DUE = register(
    DeadlineKind(
        code="programme_rectification_due",
        label=lambda: str(_("Programme rectification due")),
        recipients=rectification_recipients,
        default_offsets=(14, 7, 1, 0),
    )
)
