"""An exporter's table as a PDF through the document engine: the same title block, merged header
block, body and footer rows as its XLSX, laid out as one HTML table and rendered with the
project's CJK font (``documents.html_to_pdf``). Reports are plain prints: no seal, no
verification code (those belong to the bundles a bureau issues, ``portal.bundles``).
"""

import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from openpyxl.utils import range_boundaries

from . import documents, exporters

PDF_TYPE = "application/pdf"
# Wider tables are printed on landscape pages.
LANDSCAPE_FROM_COLUMNS = 6


def _spans(merged: Iterable[str]) -> tuple[dict[tuple[int, int], tuple[int, int]], set]:
    """(row, column) of each merged range's first cell → (row span, column span), and the cells
    the ranges cover besides their first (left out of the HTML table), 1-based like the sheet."""
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    covered: set[tuple[int, int]] = set()
    for reference in merged:
        bounds = range_boundaries(reference)
        if None in bounds:  # whole rows or columns are never merged in a report
            continue
        first_col, first_row, last_col, last_row = (int(b or 0) for b in bounds)
        spans[(first_row, first_col)] = (last_row - first_row + 1, last_col - first_col + 1)
        for row in range(first_row, last_row + 1):
            for col in range(first_col, last_col + 1):
                if (row, col) != (first_row, first_col):
                    covered.add((row, col))
    return spans, covered


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):  # as the forms print figures: no grouping, two places at most
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def table_rows(exporter: exporters.Exporter) -> dict[str, Any]:
    """The exporter's rows as cells with their spans, in the sheet's row numbering."""
    spans, covered = _spans(exporter.merged_cells())
    header_rows = [list(row) for row in exporter.header_rows()]
    width = max((len(row) for row in header_rows), default=1)
    number = 0
    blocks: dict[str, list[list[dict[str, Any]]]] = {
        "title": [],
        "head": [],
        "body": [],
        "foot": [],
    }

    def add(block: str, rows: Iterable[Sequence[Any]]) -> None:
        nonlocal number
        for row in rows:
            number += 1
            cells = []
            for column, value in enumerate(row, 1):
                if (number, column) in covered:
                    continue
                rowspan, colspan = spans.get((number, column), (1, 1))
                if len(row) == 1 and block == "foot":  # a note or a total line: the full width
                    colspan = width
                cells.append({"text": _text(value), "rowspan": rowspan, "colspan": colspan})
            blocks[block].append(cells)

    add("title", exporter.title_rows())
    add("head", header_rows)
    add("body", exporter.iterate_list())
    add("foot", exporter.footer_rows())
    # The XLSX column widths, as shares of the printed table's width.
    widths = list(exporter.column_widths)[:width]
    columns = [round(100 * w / sum(widths), 1) for w in widths] if len(widths) == width else []
    return {**blocks, "width": width, "columns": columns}


def render(exporter: exporters.Exporter) -> tuple[bytes, int]:
    """The PDF and its page count. Official layouts are printed in Chinese, like their XLSX."""
    with translation.override("zh-hans"):
        table = table_rows(exporter)
        landscape = table["width"] >= LANDSCAPE_FROM_COLUMNS
        body = render_to_string("documents/report_table.html", {"table": table})
        html = documents.page_html(
            body,
            title=str(exporter.filename()),
            extra_css=(
                "@page { size: A4 landscape; margin: 20mm 15mm 20mm 15mm; }" if landscape else ""
            ),
        )
    with tempfile.TemporaryDirectory(prefix="report-") as scratch:
        target = Path(scratch) / "report.pdf"
        pages = documents.html_to_pdf(html, target)
        return target.read_bytes(), pages


def response(exporter: exporters.Exporter) -> HttpResponse:
    pdf, _pages = render(exporter)
    answer = HttpResponse(pdf, content_type=PDF_TYPE)
    answer["Content-Disposition"] = exporters.content_disposition(f"{exporter.filename()}.pdf")
    answer["Cache-Control"] = "private, no-store"
    return answer
