"""The exporter base: a registered class yields rows; the base writes them (DESIGN.md §7).

An exporter says what a table holds (``headers`` and ``iterate_list``) and, for a report in an
official layout, the fixed block above it (``title_rows``). The base writes XLSX in openpyxl's
streaming (write-only) mode and CSV, and protects every text cell against formula injection in
both. Apps register their exporters in ``AppConfig.ready()`` with :func:`register`; the core keeps
the registry and never imports an app (the pattern of pretix's ``BaseExporter``).
"""

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, TypeVar
from urllib.parse import quote

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
FORMATS = ("xlsx", "csv")

_Value = TypeVar("_Value")


def safe_cell(value: _Value) -> _Value | str:
    """Text that a spreadsheet would run as a formula is prefixed so it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class Exporter:
    """One table. Subclasses set ``identifier`` and implement ``headers`` and ``iterate_list``."""

    identifier: ClassVar[str] = ""
    # Column widths in characters, A onwards; empty leaves the spreadsheet's default.
    column_widths: ClassVar[Sequence[int]] = ()
    # Wrap long text in body cells (official tables with paragraphs in their cells).
    wrap_text: ClassVar[bool] = False

    def sheet_title(self) -> str:
        return self.identifier

    def filename(self) -> str:
        return self.identifier

    def title_rows(self) -> Iterable[Sequence[Any]]:
        """The fixed block above the header row (title, issuer, unit); the first row is bold."""
        return ()

    def headers(self) -> Sequence[Any]:
        raise NotImplementedError

    def iterate_list(self) -> Iterable[Sequence[Any]]:
        raise NotImplementedError

    # --- writing --------------------------------------------------------------------------------
    def to_xlsx(self) -> bytes:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title=str(self.sheet_title())[:31])
        for column, width in enumerate(self.column_widths):
            sheet.column_dimensions[_column_letter(column)].width = width
        for number, row in enumerate(self.title_rows()):
            sheet.append(_cells(sheet, row, bold=number == 0))
        sheet.append([safe_cell(value) for value in self.headers()])
        wrap = Alignment(wrap_text=True, vertical="top") if self.wrap_text else None
        for row in self.iterate_list():
            sheet.append(_cells(sheet, row, alignment=wrap))
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    def to_csv(self) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in self.title_rows():
            writer.writerow([_csv_value(v) for v in row])
        writer.writerow([_csv_value(v) for v in self.headers()])
        for row in self.iterate_list():
            writer.writerow([_csv_value(v) for v in row])
        # A byte-order mark so spreadsheet programs read the Chinese text as UTF-8.
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")

    def response(self, file_format: str = "xlsx") -> HttpResponse:
        if file_format == "csv":
            content, content_type = self.to_csv(), CSV_TYPE
        else:
            file_format, content, content_type = "xlsx", self.to_xlsx(), XLSX_TYPE
        response = HttpResponse(content, content_type=content_type)
        name = quote(f"{self.filename()}.{file_format}")
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
        return response


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _cells(
    sheet: WriteOnlyWorksheet,
    row: Sequence[Any],
    *,
    bold: bool = False,
    alignment: Alignment | None = None,
) -> list[Any]:
    if not bold and alignment is None:
        return [safe_cell(value) for value in row]
    cells = []
    for value in row:
        cell = WriteOnlyCell(sheet, value=safe_cell(value))
        if bold:
            cell.font = Font(bold=True, size=14)
        if alignment is not None:
            cell.alignment = alignment
        cells.append(cell)
    return cells


def _csv_value(value: object) -> object:
    return "" if value is None else safe_cell(value)


EXPORTERS: dict[str, type[Exporter]] = {}


def register(exporter: type[Exporter]) -> type[Exporter]:
    """Register an exporter class by its identifier (usable as a class decorator)."""
    if not exporter.identifier:
        raise ValueError(f"{exporter.__name__} has no identifier")
    EXPORTERS[exporter.identifier] = exporter
    return exporter
