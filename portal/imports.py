"""Imports of lists from a spreadsheet, by bureaus on their pages and by operators in the admin.

The importing machinery is django-import-export's: a registered :class:`ImportResource` reads the
rows of an XLSX or CSV file in its official column names, checks each row, and says whether the
row would create or update a record. :func:`records_import` is the one service that runs it for a
bureau: a dry run first (everything rolled back, every row's problems listed), then the confirmed
import, which writes exactly the rows without problems (each row in its own savepoint) and records
one audit event. The same resources serve the Django admin's import for operators
(:class:`ResourceImportAdmin`).

Tenancy: a resource is built for one bureau (the importer's own, or below it) and refuses rows
that would land outside that bureau's subtree. Apps register their importers in
``AppConfig.ready()``; the core keeps the registry and never imports an app.
"""

import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import tablib
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import resources
from import_export.results import RowResult

from . import audit
from .models import BUREAU_ROLES, Bureau, User
from .visibility import Visibility

logger = logging.getLogger(__name__)

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000


def load_sheet(content: bytes, filename: str) -> tablib.Dataset:
    """The rows of an uploaded XLSX or CSV (UTF-8, with or without BOM) file, first row the
    column names (stripped). Anything unreadable is one clear ValidationError."""
    is_xlsx = filename.lower().endswith(".xlsx")
    try:
        dataset = tablib.Dataset().load(
            io.BytesIO(content) if is_xlsx else content.decode("utf-8-sig"),
            format="xlsx" if is_xlsx else "csv",
        )
    except Exception as error:  # noqa: BLE001 - any unreadable upload gets the same message
        raise ValidationError(
            _("The file could not be read: upload the template as XLSX or CSV.")
        ) from error
    dataset.headers = [str(h or "").strip() for h in (dataset.headers or [])]
    return dataset


def text(row: Any, column: str) -> str:
    """A cell as stripped text ("" for an empty cell; 12.0 from a spreadsheet stays "12")."""
    value = row.get(column)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class ImportResource(resources.ModelResource):
    """A sheet's rows → one model's records, for one bureau.

    Subclasses set ``columns`` (key → the sheet's column name, in the official words),
    ``required`` (keys), and implement :meth:`check_row` (fill ``errors`` by column, stash what
    the row resolves to in ``row``), :meth:`get_instance` (an existing record the row updates) and
    :meth:`fill` (set the instance's fields from the checked row).
    """

    columns: ClassVar[dict[str, str]] = {}
    required: ClassVar[tuple[str, ...]] = ()
    # The columns the preview shows for a row (its name and its code).
    label_key: ClassVar[str] = "name"
    code_key: ClassVar[str] = "uscc"

    class Meta:
        skip_diff = True
        clean_model_instances = True
        use_bulk = False
        fields: tuple[str, ...] = ()

    def __init__(
        self, *, visibility: Visibility, bureau: Bureau | None = None, actor: User | None = None
    ) -> None:
        super().__init__()
        self.visibility = visibility
        self.bureau = bureau
        self.actor = actor
        # Accounts created by this import with their one-time passwords: shown once, never stored.
        self.accounts: list[tuple[str, str]] = []

    # --- the sheet ----------------------------------------------------------------------------------
    @classmethod
    def column_names(cls) -> list[str]:
        return list(cls.columns.values())

    @classmethod
    def required_columns(cls) -> list[str]:
        return [cls.columns[key] for key in cls.required]

    def value(self, row: Any, key: str) -> str:
        return text(row, self.columns[key])

    def bureau_subtree(self) -> frozenset[int] | None:
        """Where rows may land: the importing bureau and the bureaus below it (None: anywhere,
        for an operator importing in the admin without a bureau)."""
        if self.bureau is None:
            return None if self.visibility.is_operator else frozenset()
        return frozenset(
            Bureau.objects.filter(path__startswith=self.bureau.path).values_list("pk", flat=True)
        )

    def in_subtree(self, bureau_id: int | None) -> bool:
        subtree = self.bureau_subtree()
        return subtree is None or bureau_id in subtree

    # --- the steps --------------------------------------------------------------------------------
    def check_row(self, row: Any, errors: dict[str, str]) -> None:
        raise NotImplementedError

    def fill(self, instance: Any, row: Any) -> None:
        raise NotImplementedError

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        errors: dict[str, str] = {}
        for key in self.required:
            if not self.value(row, key):
                errors[self.columns[key]] = _("Fill in this column.")
        if not errors:
            self.check_row(row, errors)
        row["_errors"] = errors

    def get_instance(self, instance_loader: Any, row: Any) -> Any:
        return None

    def import_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
        if row.get("_errors"):
            raise ValidationError(row["_errors"])
        self.fill(instance, row)

    def validate_instance(
        self, instance: Any, import_validation_errors: Any = None, validate_unique: bool = True
    ) -> None:
        # The model's own complaints, named by the field's label (the sheet's words are close).
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as error:
            named: dict[str, list[str]] = {}
            for name, messages_ in error.message_dict.items():
                try:
                    label = str(instance._meta.get_field(name).verbose_name)
                except Exception:  # noqa: BLE001 - a non-field key keeps its name
                    label = name
                named.setdefault(label, []).extend(messages_)
            raise ValidationError(named) from error

    def after_import(self, dataset: Any, result: Any, **kwargs: Any) -> None:
        result.accounts = list(self.accounts)  # for the admin's message after a confirmed import

    def import_row(self, row: Any, instance_loader: Any, **kwargs: Any) -> RowResult:
        """One row in its own savepoint: a row with problems leaves nothing behind (not even an
        organization its checks recorded), so a confirmed import writes exactly the good rows."""
        try:
            with transaction.atomic():
                result = self._import_row(row, instance_loader, **kwargs)
                if result.import_type == RowResult.IMPORT_TYPE_INVALID:
                    raise _RowRefused(result)
        except _RowRefused as refused:
            result = refused.result
        return result

    def _import_row(self, row: Any, instance_loader: Any, **kwargs: Any) -> RowResult:
        result = super().import_row(row, instance_loader, **kwargs)
        if result.import_type == RowResult.IMPORT_TYPE_ERROR:
            # An unexpected failure of one row is that row's problem, not the whole file's.
            for error in result.errors:
                logger.warning("import row %s failed: %s", kwargs.get("row_number"), error.error)
            result.errors = []
            result.import_type = RowResult.IMPORT_TYPE_INVALID
            result.validation_error = ValidationError(_("This row could not be imported."))
        return result


class _RowRefused(Exception):
    """Leaves a row's atomic block so everything the row wrote is rolled back."""

    def __init__(self, result: RowResult) -> None:
        super().__init__()
        self.result = result


@dataclass
class ImportRow:
    number: int
    label: str
    code: str
    action: str  # new, update, skip, invalid
    errors: list[str]

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))


ACTION_LABELS = {
    RowResult.IMPORT_TYPE_NEW: gettext_lazy("will be created"),
    RowResult.IMPORT_TYPE_UPDATE: gettext_lazy("will be updated"),
    RowResult.IMPORT_TYPE_SKIP: gettext_lazy("unchanged"),
    RowResult.IMPORT_TYPE_INVALID: gettext_lazy("has problems"),
}


@dataclass
class ImportReport:
    file_errors: list[str] = field(default_factory=list)
    rows: list[ImportRow] = field(default_factory=list)
    confirmed: bool = False
    accounts: list[tuple[str, str]] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def created(self) -> int:
        return self.count(RowResult.IMPORT_TYPE_NEW)

    @property
    def updated(self) -> int:
        return self.count(RowResult.IMPORT_TYPE_UPDATE)

    @property
    def invalid(self) -> int:
        return self.count(RowResult.IMPORT_TYPE_INVALID)

    @property
    def importable(self) -> int:
        return self.created + self.updated

    @property
    def ok(self) -> bool:
        return not self.file_errors and self.invalid == 0


# --- the registry ------------------------------------------------------------------------------------
class Importer:
    """One kind of list a bureau imports: its resource, its name and who may use it."""

    identifier: ClassVar[str] = ""
    verbose_name: ClassVar[Any] = ""
    resource: ClassVar[type[ImportResource]]
    help_text: ClassVar[Any] = ""
    # Which bureau roles may import this list (the operator always may).
    roles: ClassVar[frozenset[str]] = frozenset(BUREAU_ROLES - {"bureau_reviewer"})

    @classmethod
    def allowed(cls, visibility: Visibility) -> bool:
        return visibility.is_operator or bool(visibility.bureau_ids_with(cls.roles))

    @classmethod
    def bureaus(cls, visibility: Visibility) -> Iterable[Bureau]:
        """The bureaus this user imports for: those they work for with a role that may."""
        qs = Bureau.objects.order_by("path")
        if visibility.is_operator:
            return qs
        return qs.filter(pk__in=visibility.bureau_ids_with(cls.roles))


IMPORTERS: dict[str, type[Importer]] = {}
_Registered = TypeVar("_Registered", bound=type[Importer])


def register(importer: _Registered) -> _Registered:
    """Register an importer class by its identifier (usable as a class decorator)."""
    if importer.identifier in IMPORTERS and IMPORTERS[importer.identifier] is not importer:
        raise ValueError(f"importer {importer.identifier!r} is already registered")
    IMPORTERS[importer.identifier] = importer
    return importer


def available(visibility: Visibility) -> list[type[Importer]]:
    return [i for i in IMPORTERS.values() if i.allowed(visibility)]


# --- the service -----------------------------------------------------------------------------------------
def records_import(
    *,
    visibility: Visibility,
    importer: type[Importer],
    bureau: Bureau,
    content: bytes,
    filename: str,
    confirm: bool,
    actor: User,
) -> ImportReport:
    """Check a sheet (``confirm`` False: nothing is written) or import it (``confirm``: the rows
    without problems are written, the others reported). Rows land only under ``bureau``, which
    must be one the actor imports for."""
    if not importer.allowed(visibility) or not (
        visibility.is_operator or bureau.pk in visibility.bureau_ids_with(importer.roles)
    ):
        raise PermissionDenied
    report = ImportReport(confirmed=confirm)
    try:
        dataset = load_sheet(content, filename)
    except ValidationError as error:
        report.file_errors.extend(error.messages)
        return report
    resource_class = importer.resource
    missing = [c for c in resource_class.required_columns() if c not in dataset.headers]
    if missing:
        report.file_errors.append(
            _("Columns missing: %(columns)s.") % {"columns": "、".join(missing)}
        )
        return report
    if not 1 <= len(dataset) <= MAX_ROWS:
        report.file_errors.append(
            _("The sheet must have between 1 and %(max)d rows.") % {"max": MAX_ROWS}
        )
        return report
    resource = resource_class(visibility=visibility, bureau=bureau, actor=actor)
    result = resource.import_data(
        dataset,
        dry_run=not confirm,
        use_transactions=True,
        rollback_on_validation_errors=False,
        collect_failed_rows=False,
    )
    report.rows = report_rows(resource, dataset, result)
    if confirm:
        report.accounts = resource.accounts
        if report.importable:
            audit.record_for(
                bureau,
                action="records_imported",
                actor=actor,
                bureau=bureau,
                detail={
                    "table": importer.identifier,
                    "created": report.created,
                    "updated": report.updated,
                    "refused": report.invalid,
                    "file": filename[:100],
                },
            )
    return report


def report_rows(resource: ImportResource, dataset: tablib.Dataset, result: Any) -> list[ImportRow]:
    invalid = {row.number: row for row in result.invalid_rows}
    results = list(result.rows)
    rows = []
    for number, values in enumerate(dataset.dict, 1):
        errors: list[str] = []
        action = results[number - 1].import_type if number - 1 < len(results) else ""
        if number in invalid:
            action = RowResult.IMPORT_TYPE_INVALID
            for column, column_errors in invalid[number].error_dict.items():
                for message in column_errors:
                    errors.append(message if column == "__all__" else f"{column}：{message}")
        rows.append(
            ImportRow(
                number=number,
                label=text(values, resource.columns.get(resource.label_key, "")),
                code=text(values, resource.columns.get(resource.code_key, "")),
                action=action,
                errors=errors,
            )
        )
    return rows


# --- the admin ---------------------------------------------------------------------------------------------
class ResourceImportAdmin:
    """Mixed into an ``ImportMixin`` model admin: the operator's import runs the same resource as
    a bureau's, with the operator's visibility, and leaves the same audit record."""

    def get_import_resource_kwargs(self, request: Any, **kwargs: Any) -> dict[str, Any]:
        return {"visibility": request.visibility.resolve(), "actor": request.user}

    def process_result(self, result: Any, request: Any) -> Any:
        created = result.totals.get(RowResult.IMPORT_TYPE_NEW, 0)
        updated = result.totals.get(RowResult.IMPORT_TYPE_UPDATE, 0)
        audit.record(
            action="records_imported",
            outcome="success",
            object_type=self.model._meta.label_lower,  # type: ignore[attr-defined]
            detail={"table": self.model._meta.label_lower, "created": created, "updated": updated},  # type: ignore[attr-defined]
        )
        accounts = getattr(result, "accounts", None)
        if accounts:
            messages.info(
                request,
                _("New accounts and their one-time passwords: %(list)s")
                % {"list": "; ".join(f"{u} {p}" for u, p in accounts)},
            )
        return super().process_result(result, request)  # type: ignore[misc]
