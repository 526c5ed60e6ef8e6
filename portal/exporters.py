"""The exporter base: a registered class yields rows; the base writes them (DESIGN.md §7).

An exporter says what a table holds (``headers`` and ``iterate_list``) and, for a report in an
official layout, the fixed block above it (``title_rows``). The base writes XLSX in openpyxl's
streaming (write-only) mode and CSV, and protects every text cell against formula injection in
both. Apps register their exporters in ``AppConfig.ready()`` with :func:`register`; the core keeps
the registry and never imports an app (the pattern of pretix's ``BaseExporter``).
"""

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import IO, Any, ClassVar, TypeVar
from urllib.parse import quote

from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
FORMATS = ("xlsx", "csv")
CONTENT_TYPES = {"xlsx": XLSX_TYPE, "csv": CSV_TYPE}
# Rows between two progress reports of a running export.
PROGRESS_EVERY = 1000
SPOOL_BYTES = 4 * 1024 * 1024
Progress = Callable[[int], None]

_Value = TypeVar("_Value")


def safe_cell(value: _Value) -> _Value | str:
    """Text that a spreadsheet would run as a formula is prefixed so it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class Exporter:
    """One table. Subclasses set ``identifier`` and implement ``headers`` and ``iterate_list``.

    A *list exporter* (``listable = True``) is also rebuilt from a user's visibility and the
    filters of the page it sits on (:meth:`from_params`), so the generic export view serves it and
    a worker can write it as a background job for that user (:mod:`portal.export_jobs`).
    """

    identifier: ClassVar[str] = ""
    # What the export menu and the job list call it.
    verbose_name: ClassVar[Any] = ""
    # Served by the generic export view and runnable as a job (see from_params).
    listable: ClassVar[bool] = False
    # Column widths in characters, A onwards; empty leaves the spreadsheet's default.
    column_widths: ClassVar[Sequence[int]] = ()
    # Wrap long text in body cells (official tables with paragraphs in their cells).
    wrap_text: ClassVar[bool] = False
    # Also printed as a PDF by the generic export view (``format=pdf``, portal.table_pdf).
    printable: ClassVar[bool] = False

    # --- list exporters ---------------------------------------------------------------------------
    @classmethod
    def allowed(cls, visibility: Any) -> bool:
        """Whether this kind of user may export at all; rows are scoped by visibility anyway."""
        return bool(visibility.is_bureau_staff or visibility.is_operator)

    @classmethod
    def from_params(cls, *, visibility: Any, params: Mapping[str, str]) -> "Exporter":
        """The exporter for the page's filters (``params`` is the page's query string)."""
        raise NotImplementedError(f"{cls.__name__} is not a list exporter")

    def count(self) -> int | None:
        """How many body rows ``iterate_list`` yields, when known cheaply (for progress)."""
        return None

    # --- the table --------------------------------------------------------------------------------
    def sheet_title(self) -> str:
        return self.identifier

    def filename(self) -> str:
        return self.identifier

    def title_rows(self) -> Iterable[Sequence[Any]]:
        """The fixed block above the header row (title, issuer, unit); the first row is bold."""
        return ()

    def headers(self) -> Sequence[Any]:
        raise NotImplementedError

    def header_rows(self) -> Sequence[Sequence[Any]]:
        """The header block; an official layout with grouped columns returns two or more rows
        and names the merged ranges in :meth:`merged_cells`."""
        return [self.headers()]

    def merged_cells(self) -> Iterable[str]:
        """Ranges such as ``"A1:I1"`` to merge in the XLSX, counted from the sheet's first row."""
        return ()

    def iterate_list(self) -> Iterable[Sequence[Any]]:
        raise NotImplementedError

    def footer_rows(self) -> Iterable[Sequence[Any]]:
        """Rows after the body (totals, notes); computed after the body has been written."""
        return ()

    # --- writing --------------------------------------------------------------------------------
    def write_xlsx(self, out: IO[bytes], progress: Progress | None = None) -> int:
        """Write the workbook to ``out`` in streaming mode; returns the number of body rows."""
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=str(self.sheet_title())[:31])
        for column, width in enumerate(self.column_widths):
            sheet.column_dimensions[_column_letter(column)].width = width
        for number, row in enumerate(self.title_rows()):
            sheet.append(_cells(sheet, row, bold=number == 0))
        for row in self.header_rows():
            sheet.append(_cells(sheet, row, header=True))
        wrap = Alignment(wrap_text=True, vertical="top") if self.wrap_text else None
        written = 0
        for row in self.iterate_list():
            sheet.append(_cells(sheet, row, alignment=wrap))
            written += 1
            if progress is not None and written % PROGRESS_EVERY == 0:
                progress(written)
        for row in self.footer_rows():
            sheet.append(_cells(sheet, row, header=True))
        for reference in self.merged_cells():
            sheet.merged_cells.add(reference)
        workbook.save(out)
        return written

    def write_csv(self, out: IO[bytes], progress: Progress | None = None) -> int:
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        # A byte-order mark so spreadsheet programs read the Chinese text as UTF-8.
        text.write("\ufeff")
        writer = csv.writer(text)
        for row in self.title_rows():
            writer.writerow([_csv_value(v) for v in row])
        for row in self.header_rows():
            writer.writerow([_csv_value(v) for v in row])
        written = 0
        for row in self.iterate_list():
            writer.writerow([_csv_value(v) for v in row])
            written += 1
            if progress is not None and written % PROGRESS_EVERY == 0:
                progress(written)
        for row in self.footer_rows():
            writer.writerow([_csv_value(v) for v in row])
        text.detach()
        return written

    def write(self, out: IO[bytes], file_format: str, progress: Progress | None = None) -> int:
        if file_format == "csv":
            return self.write_csv(out, progress)
        return self.write_xlsx(out, progress)

    def to_xlsx(self) -> bytes:
        buffer = io.BytesIO()
        self.write_xlsx(buffer)
        return buffer.getvalue()

    def to_csv(self) -> bytes:
        buffer = io.BytesIO()
        self.write_csv(buffer)
        return buffer.getvalue()

    def response(self, file_format: str = "xlsx") -> HttpResponseBase:
        """The file as a download; past a few megabytes it is spooled to disk and streamed, so
        memory stays flat whatever the number of rows."""
        file_format = file_format if file_format in FORMATS else "xlsx"
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (closed by the response)
        self.write(spool, file_format)
        size = spool.tell()
        spool.seek(0)
        response: HttpResponseBase
        if size <= SPOOL_BYTES:
            response = HttpResponse(spool.read(), content_type=CONTENT_TYPES[file_format])
            spool.close()
        else:
            response = FileResponse(spool, content_type=CONTENT_TYPES[file_format])
        response["Content-Disposition"] = content_disposition(f"{self.filename()}.{file_format}")
        response["Cache-Control"] = "private, no-store"
        return response


def content_disposition(filename: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(filename)}"


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _cells(
    sheet: WriteOnlyWorksheet,
    row: Sequence[Any],
    *,
    bold: bool = False,
    header: bool = False,
    alignment: Alignment | None = None,
) -> list[Any]:
    if not bold and not header and alignment is None:
        return [safe_cell(value) for value in row]
    cells = []
    for value in row:
        cell = WriteOnlyCell(sheet, value=safe_cell(value))
        if bold:
            cell.font = Font(bold=True, size=14)
        elif header:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if alignment is not None:
            cell.alignment = alignment
        cells.append(cell)
    return cells


def _csv_value(value: object) -> object:
    return "" if value is None else safe_cell(value)


EXPORTERS: dict[str, type[Exporter]] = {}


_Registered = TypeVar("_Registered", bound=type[Exporter])


def register(exporter: _Registered) -> _Registered:
    """Register an exporter class by its identifier (usable as a class decorator)."""
    if not exporter.identifier:
        raise ValueError(f"{exporter.__name__} has no identifier")
    if EXPORTERS.get(exporter.identifier, exporter) is not exporter:
        raise ValueError(f"two exporters are called {exporter.identifier!r}")
    EXPORTERS[exporter.identifier] = exporter
    return exporter


def listable(identifier: str) -> type[Exporter] | None:
    exporter = EXPORTERS.get(identifier)
    return exporter if exporter is not None and exporter.listable else None
