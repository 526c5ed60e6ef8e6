"""Reads of calls and books, always inside the caller's visibility scope."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from portal.book import Book
from portal.labels import choice_label
from portal.models import BUREAU_ROLES
from portal.scoping import current_visibility
from portal.visibility import Visibility

from .models import Application, Call, CallTemplate


def published_calls() -> QuerySet[Call]:
    return Call.objects.filter(
        status__in=[Call.Status.PUBLISHED, Call.Status.CLOSED]
    ).select_related("bureau")


def open_calls(limit: int = 10) -> list[Call]:
    """Calls taking applications now, the soonest to close first (the home pages)."""
    now = timezone.now()
    return list(
        Call.objects.filter(status=Call.Status.PUBLISHED, opens_at__lte=now, closes_at__gte=now)
        .select_related("bureau")
        .order_by("closes_at")[:limit]
    )


def managed_calls(visibility: Visibility) -> QuerySet[Call]:
    return Call.objects.filter(bureau_id__in=visibility.staff_bureau_ids).select_related(
        "bureau", "template"
    )


def templates_for(visibility: Visibility) -> QuerySet[CallTemplate]:
    return CallTemplate.objects.select_related("owner_bureau").order_by("code", "-version")


def my_applications(visibility: Visibility) -> QuerySet[Application]:
    return (
        Application.objects.filter(organization_id__in=visibility.organization_ids)
        .select_related("call", "organization")
        .order_by("-updated_at")
    )


def staff_call_choices(visibility: Visibility) -> QuerySet[Call]:
    """The calls a staff member filters the book list by: those issued by their bureaus, by the
    bureaus below, and by the bureaus above (whose books a county recommends). Read from the calls
    alone, never by scanning the books."""
    calls = Call.objects.exclude(status=Call.Status.DRAFT)
    if not visibility.is_operator:
        calls = calls.filter(
            Q(bureau_id__in=visibility.staff_bureau_ids)
            | Q(bureau_id__in=visibility.bureau_ids_above)
        )
    return calls.order_by("-opens_at", "-pk")


def staff_applications(
    *,
    call_id: int | None = None,
    status: str = "",
    sub_industry: str = "",
    bureau_id: int | None = None,
    search: str = "",
) -> QuerySet[Application]:
    """Filed books: the staff list, its exports and the API."""
    qs = Application.objects.select_related("call", "call__bureau", "organization", "home_bureau")
    # Bureau staff see no draft or withdrawn book by their rule (applications.visibility); only
    # the operator, or a user who also holds another role (their organization's own drafts), would
    # see some without this test, which a staff list would otherwise compile twice.
    visibility = current_visibility()
    if visibility is None or visibility.is_operator or not _staff_only(visibility):
        qs = qs.exclude(status__in=[Application.Status.DRAFT, Application.Status.WITHDRAWN])
    if call_id:
        qs = qs.filter(call_id=call_id)
    if status:
        qs = qs.filter(status=status)
    if sub_industry:
        qs = qs.filter(sub_industries_index__contains=f"|{sub_industry}|")
    if bureau_id:
        qs = qs.filter(home_bureau_id=bureau_id)
    if search:
        qs = qs.filter(
            Q(organization__name__icontains=search)
            | Q(organization__uscc__icontains=search.upper())
        )
    return qs.order_by("-submitted_at", "-pk")


def _staff_only(visibility: Visibility) -> bool:
    return bool(visibility.roles) and all(role in BUREAU_ROLES for role, _b, _o in visibility.roles)


@dataclass(frozen=True)
class FiledBookRow:
    """A row of the filed books page: the columns it shows, read as values, not models."""

    pk: int
    applicant: str
    uscc: str
    county: str
    call: str
    sub_industries_index: str
    status: str
    submitted_at: datetime | None

    @property
    def sub_industries(self) -> list[str]:
        return Application.split_sub_industries(self.sub_industries_index)

    @property
    def status_label(self) -> str:
        return choice_label(Application.Status, self.status)


def staff_application_page_rows(page: QuerySet[Application]) -> list[FiledBookRow]:
    """What templates/applications/staff_applications.html shows of a page of
    :func:`staff_applications`: eight columns in one query, where whole rows would build four
    models per row (the exports and the API read those)."""
    return [
        FiledBookRow(*values)
        for values in page.values_list(
            "pk",
            "organization__name",
            "organization__uscc",
            "home_bureau__region_name",
            "call__title",
            "sub_industries_index",
            "status",
            "submitted_at",
        )
    ]


def recommendation_rows(call: Call, visibility: Visibility) -> QuerySet[Application]:
    """The recommendation summary (001 §三(二) 推荐汇总表) of the user's jurisdiction: a county sees
    its own organizations' books, a city every county's below it. Which of them the user may see
    (a city sees a book only once its county recommended it) is the visibility rule's decision."""
    return (
        Application.objects.filter(call=call, home_bureau_id__in=visibility.staff_bureau_ids)
        .exclude(status__in=[Application.Status.DRAFT, Application.Status.WITHDRAWN])
        .select_related("organization", "home_bureau", "recommended_by")
        .order_by("home_bureau__division_code", "organization__name")
    )


# --- what a section page shows -------------------------------------------------------------------------


def book_for(application_or_call: Application | Call) -> Book:
    call = (
        application_or_call.call
        if isinstance(application_or_call, Application)
        else application_or_call
    )
    return Book(call.template.definition, sub_industries=call.sub_industries)


def attachment_counts(application: Application) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    for section, slot in application.attachments.values_list("section", "slot"):
        counts.setdefault(section, {}).setdefault(slot, 0)
        counts[section][slot] += 1
    return counts


def answers_of(application: Application) -> dict[str, Any]:
    return {s.key: s.data for s in application.sections.all()}
