"""Deadlines of review: the end of a publicity period (5 days in 001 §三(四)); of leading units'
performance: the quarterly report and rectification orders (004 §3.3.1, §4.2)."""

from django.utils.translation import gettext_lazy as _

from pilots.models import LeadingUnit
from portal.deadlines import DeadlineKind, register
from portal.models import Deadline, Role
from portal.selectors import bureau_user_ids, organization_member_ids

from .models import PerformanceTaskBook, Publicity, Sanction


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


# --- leading units' performance (004 §3.3.1, §4.2–§4.3) ------------------------------------------
def _unit_members(unit_id: int | None) -> list[int]:
    unit = LeadingUnit.objects.filter(pk=unit_id).first()
    return organization_member_ids([unit.organization_id]) if unit else []


def report_recipients(deadline: Deadline) -> list[int]:
    """The unit's members report the quarter's progress (004 §3.3.1)."""
    book = PerformanceTaskBook.objects.filter(pk=deadline.subject_id).first()
    return _unit_members(book.leading_unit_id) if book else []


def rectification_recipients(deadline: Deadline) -> list[int]:
    sanction = Sanction.objects.filter(pk=deadline.subject_id).first()
    return _unit_members(sanction.leading_unit_id) if sanction else []


def rectification_due_action(deadline: Deadline) -> None:
    from .performance_outcomes import rectification_overdue

    rectification_overdue(deadline.subject_id)


QUARTERLY_REPORT_DUE = register(
    DeadlineKind(
        code="quarterly_report_due",
        label=lambda: str(_("Quarterly performance report due")),
        recipients=report_recipients,
        default_offsets=(5, 2, 0),
        working_days=True,  # the report is due in working days after the quarter
    )
)
RECTIFICATION_DUE = register(
    DeadlineKind(
        code="rectification_due",
        label=lambda: str(_("Rectification due")),
        recipients=rectification_recipients,
        default_offsets=(7, 3, 1, 0),
        on_due=rectification_due_action,
    )
)
# Not a deadline: the inbox kind of evaluation results and sanctions (its label and email choice).
PERFORMANCE_NOTICE = register(
    DeadlineKind(
        code="leading_unit_performance",
        label=lambda: str(_("Leading-unit evaluation and sanctions")),
        recipients=lambda deadline: [],
    )
)
