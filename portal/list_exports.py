"""The core's list exporters: organizations and the audit log, over the same filters as their
pages (the pattern every app's list exporter follows: ``from_params`` parses the page's query
string with the page's own parser, ``iterate_list`` streams the page's selector)."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from django.db.models import Count, Model, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import audit, deadlines, exporters, personal_data, selectors
from .models import AuditEvent, Deadline, Organization, Reminder, Role
from .params import date_param, int_param, text_param

CHUNK = 2000


class QuerysetListExporter(exporters.Exporter):
    """A list exporter over one queryset from the page's own selector: ``row`` turns one object
    into its cells. Rows stream in chunks, and the selector's ``select_related`` and
    ``prefetch_related`` keep the number of queries the same whatever the number of rows."""

    listable = True
    # Names the sheet and the file (the page's title).
    title: ClassVar[Any] = ""

    def __init__(self, *, rows: QuerySet[Any]) -> None:
        self.rows = rows

    def count(self) -> int:
        return self.rows.count()

    def sheet_title(self) -> str:
        return str(self.title or self.verbose_name)

    def filename(self) -> str:
        return f"{self.sheet_title()}-{timezone.localdate():%Y%m%d}"

    def row(self, item: Any) -> Sequence[Any]:
        raise NotImplementedError

    def iterate_list(self) -> Iterable[Sequence[Any]]:
        for item in self.rows.iterator(chunk_size=CHUNK):
            yield self.row(item)


def local_time(value: Any) -> str:
    """A moment as the pages show it (Beijing time), or empty."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def iso_date(value: Any) -> str:
    return value.isoformat() if value else ""


def choice_labels(model: type[Model], field: str) -> dict[Any, str]:
    """A choice field's translated labels, looked up once per export rather than once per row
    (``get_FOO_display`` translates on every call)."""
    return {value: str(label) for value, label in model._meta.get_field(field).flatchoices}


# --- deadlines (the deadline page) -----------------------------------------------------------------
DEADLINE_SHOWS = ("upcoming", "past")


def deadline_filters(params: Mapping[str, str]) -> dict[str, Any]:
    """The deadline page's filter: upcoming (the default) or past."""
    show = text_param(params, "show", max_length=10)
    return {"show": show if show in DEADLINE_SHOWS else "upcoming"}


def deadline_list(*, show: str = "upcoming") -> QuerySet[Deadline]:
    qs = Deadline.objects.select_related("bureau").annotate(
        sent=Count("reminders", filter=Q(reminders__status=Reminder.Status.SENT))
    )
    if show == "past":
        return qs.filter(due_at__lt=timezone.now()).order_by("-due_at", "-pk")
    return qs.filter(status=Deadline.Status.OPEN, due_at__gte=timezone.now()).order_by(
        "due_at", "pk"
    )


@exporters.register
class DeadlineListExporter(QuerysetListExporter):
    identifier = "deadlines"
    verbose_name = gettext_lazy("Deadlines")
    column_widths = (18, 24, 50, 24, 12, 10)

    @classmethod
    def from_params(cls, *, visibility: Any, params: Mapping[str, str]) -> "exporters.Exporter":
        return cls(rows=deadline_list(**deadline_filters(params)))

    def headers(self) -> Sequence[Any]:
        return [_("Due at"), _("Kind"), _("Title"), _("Bureau"), _("Status"), _("Reminders sent")]

    def iterate_list(self) -> Iterable[Sequence[Any]]:
        self.kinds = {code: deadlines.kind_label(code) for code in deadlines.KINDS}
        return super().iterate_list()

    def row(self, item: Deadline) -> Sequence[Any]:
        return [
            local_time(item.due_at),
            str(self.kinds.get(item.kind, item.kind)),
            item.title,
            item.bureau.name if item.bureau else "",
            item.get_status_display(),
            item.sent,
        ]


def audit_filters(params: Mapping[str, str]) -> dict[str, Any]:
    """The audit page's filters; unknown actions and outcomes are dropped, not errors."""
    filters: dict[str, Any] = {
        "action": text_param(params, "action", max_length=64),
        "outcome": text_param(params, "outcome", max_length=16),
        "user": text_param(params, "user", max_length=150),
        "since": date_param(params, "since"),
        "until": date_param(params, "until"),
    }
    if filters["outcome"] not in AuditEvent.Outcome.values:
        filters["outcome"] = ""
    if filters["action"] not in audit.ACTION_LABELS:
        filters["action"] = ""
    return filters


@exporters.register
class OrganizationListExporter(exporters.Exporter):
    identifier = "organizations"
    verbose_name = gettext_lazy("Organizations")
    listable = True
    column_widths = (40, 22, 16, 16, 16, 16)
    printable = True

    def __init__(self, *, rows: QuerySet[Organization], visibility: Any = None) -> None:
        self.rows = rows
        # The contact's phone is shown to those who need it (portal.personal_data), else masked.
        self.visibility = visibility

    @classmethod
    def from_params(cls, *, visibility: Any, params: Mapping[str, str]) -> "exporters.Exporter":
        return cls(
            rows=selectors.organization_list(
                search=text_param(params, "q"), bureau_id=int_param(params, "bureau")
            ),
            visibility=visibility,
        )

    def count(self) -> int:
        return self.rows.count()

    def sheet_title(self) -> str:
        return _("Organizations")

    def filename(self) -> str:
        return f"{_('Organizations')}-{timezone.localdate():%Y%m%d}"

    def headers(self) -> Sequence[Any]:
        return [
            _("Name"),
            _("Unified social credit code"),
            _("Kind"),
            _("Region"),
            _("Contact person"),
            _("Contact phone"),
        ]

    def iterate_list(self) -> Iterable[Sequence[Any]]:
        revealed = 0
        for organization in self.rows.iterator(chunk_size=CHUNK):
            reveal = personal_data.may_reveal(
                self.visibility,
                organization_id=organization.pk,
                bureau_id=organization.home_bureau_id,
            )
            revealed += bool(reveal and organization.contact_phone)
            yield [
                organization.name,
                organization.uscc,
                organization.get_kind_display(),
                organization.home_bureau.region_name,
                organization.contact_name,
                organization.contact_phone
                if reveal
                else personal_data.mask_phone(organization.contact_phone),
            ]
        if revealed:
            personal_data.audit_reveal(
                where="export",
                table=self.identifier,
                count=revealed,
                actor_id=getattr(self.visibility, "user_id", None),
            )


@exporters.register
class AuditLogExporter(exporters.Exporter):
    identifier = "audit_log"
    verbose_name = gettext_lazy("Audit log")
    listable = True
    column_widths = (20, 16, 16, 24, 10, 40, 20, 12)

    def __init__(self, *, rows: QuerySet[AuditEvent]) -> None:
        self.rows = rows

    @classmethod
    def allowed(cls, visibility: Any) -> bool:
        return bool(
            visibility.has_role(Role.BUREAU_ADMIN, Role.ORG_ADMIN) or visibility.is_operator
        )

    @classmethod
    def from_params(cls, *, visibility: Any, params: Mapping[str, str]) -> "exporters.Exporter":
        return cls(rows=selectors.audit_events(**audit_filters(params)))

    def count(self) -> int:
        return self.rows.count()

    def sheet_title(self) -> str:
        return _("Audit log")

    def filename(self) -> str:
        return f"{_('Audit log')}-{timezone.localdate():%Y%m%d}"

    def headers(self) -> Sequence[Any]:
        return [
            _("Time"),
            _("User"),
            _("IP address"),
            _("Action"),
            _("Outcome"),
            _("Path"),
            _("Object"),
            _("Object ID"),
        ]

    def iterate_list(self) -> Iterable[Sequence[Any]]:
        outcomes = dict(AuditEvent.Outcome.choices)
        for event in self.rows.iterator(chunk_size=CHUNK):
            yield [
                timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
                str(event.actor or event.username),
                event.ip_address or "",
                audit.action_label(event.action),
                str(outcomes.get(event.outcome, event.outcome)),
                event.path,
                event.object_type,
                event.object_id,
            ]
