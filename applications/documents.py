"""The application book as documents: the stamped PDF bundle (000 §五) and an editable DOCX."""

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.book import localized
from portal.book_display import section_view
from portal.documents import Part, Rendered, build_bundle, page_html
from portal.models import DocumentBundle
from portal.storage import local_path
from portal.templatetags.portal_tags import join_list, numbered

from .models import Application
from .selectors import answers_of, attachment_counts, book_for

KIND = "application_book"


def _title(section: dict) -> str:
    return str(numbered(section.get("number"), localized(section, "title")))


def print_order(sections: list[dict]) -> list[dict]:
    """The sections as the seed prints them: a plan's annexes (附1, 附2, 附) after all of its
    numbered parts, so "六、其他材料" comes before "附1" (003 附件) and the materials of
    "五、其他材料" before "附：实施方案主要数据表" (002 附1). The order is otherwise the template's."""
    return sorted(sections, key=lambda section: str(section.get("number", "")).startswith("附"))


def cover_title(definition: dict[str, Any], answers: dict[str, Any]) -> str:
    """The book's own title where the seed gives one per answer: 001 names two books, the demo
    enterprise's (附件2) and the demo workshop's (附件3), by the direction applied for. Empty
    leaves the cover with the call's title."""
    spec = definition.get("cover_title") or {}
    section, _dot, field = str(spec.get("field", "")).partition(".")
    chosen = (answers.get(section) or {}).get(field)
    return str(spec.get("titles", {}).get(chosen, "")) if isinstance(chosen, str) else ""


def seal_file(application: Application) -> Path | None:
    seal = application.organization.seal
    return local_path(seal) if seal else None


def build(bundle: DocumentBundle, progress: Callable[[int], None]) -> Rendered:
    application: Application = bundle.subject
    # The bundle is an official document in Chinese, whatever the requesting user's language.
    with translation.override("zh-hans"):
        book = book_for(application)
        answers = answers_of(application)
        counts = attachment_counts(application)
        seal = seal_file(application)
        cover = page_html(
            render_to_string(
                "documents/application_cover.html",
                {
                    "application": application,
                    "seal": seal.as_uri() if seal else "",
                    "submitted": timezone.localtime(application.submitted_at or timezone.now()),
                    "cover_title": cover_title(book.definition, answers),
                },
            )
        )
        files = list(application.attachments.all())
        parts: list[Part] = []
        for section in print_order(book.sections):
            key = section["key"]
            raw = answers.get(key, {})
            values, issues = book.evaluate(key, raw, counts.get(key, {}), answers)
            view = section_view(book, key, raw, issues, values)
            if section["type"] == "attachments":
                slots = book.slots(section, book.partner_names(answers))
                listed = [
                    (slot, [f for f in files if f.section == key and f.slot == slot["key"]])
                    for slot in slots
                ]
                parts.append(
                    Part(
                        kind="html",
                        title=_title(section),
                        html=render_to_string(
                            "documents/application_attachments.html",
                            {"section": view, "title": _title(section), "slots": listed},
                        ),
                    )
                )
                for slot, slot_files in listed:
                    for attachment in slot_files:
                        path = local_path(attachment.file)
                        if attachment.kind == "pdf":
                            parts.append(Part(kind="pdf", title=slot["label"], path=path, level=2))
                        elif attachment.kind in ("jpg", "png"):
                            parts.append(
                                Part(
                                    kind="image",
                                    title=slot["label"],
                                    path=path,
                                    caption=attachment.original_name,
                                    level=2,
                                )
                            )
                continue
            parts.append(
                Part(
                    kind="html",
                    title=_title(section),
                    html=render_to_string(
                        "documents/application_section.html",
                        {
                            "section": view,
                            "title": _title(section),
                            "seal": seal.as_uri() if seal else "",
                        },
                    ),
                )
            )
        return build_bundle(
            cover_html=cover,
            parts=parts,
            title=f"{application.call.title} · {application.organization.name}",
            code=bundle.code,
            created=timezone.localtime(application.submitted_at or timezone.now()),
            seal_path=seal,
            progress=progress,
        )


# --- one section of the Word file, by section type (attachments list their files) ----------------
def _docx_fields(document: Any, view: dict[str, Any]) -> None:
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for field in view["fields"]:
        value = field["value"]
        cells = table.add_row().cells
        cells[0].text = field["label"]
        if isinstance(value, list):
            value = join_list(value)
        elif field.get("type") == "boolean":
            value = _("Yes") if value == "yes" else _("No")
        cells[1].text = str(value or "")


def _docx_table(document: Any, view: dict[str, Any]) -> None:
    table = document.add_table(rows=1, cols=len(view["columns"]))
    table.style = "Table Grid"
    for cell, column in zip(table.rows[0].cells, view["columns"], strict=True):
        cell.text = column["label"]
    for row in view["rows"]:
        cells = table.add_row().cells
        for cell, value in zip(cells, row["cells"], strict=True):
            cell.text = str(value.get("value") or "")


def _docx_richtext(document: Any, view: dict[str, Any]) -> None:
    from django.utils.html import strip_tags

    for paragraph in strip_tags(view["html"].replace("</p>", "\n")).split("\n"):
        if paragraph.strip():
            document.add_paragraph(paragraph.strip())


def _docx_declaration(document: Any, view: dict[str, Any]) -> None:
    document.add_paragraph(view["text"])
    document.add_paragraph(
        f"{_('Declared by')}: {view['signatory']}  {_('Date')}: {view['signed_on']}"
    )


DOCX_WRITERS: dict[str, Callable[[Any, dict[str, Any]], None]] = {
    "fields": _docx_fields,
    "table": _docx_table,
    "richtext": _docx_richtext,
    "declaration": _docx_declaration,
}


def docx_bytes(application: Application) -> bytes:
    """The book as an editable Word file, for the "editable files" the call asks for (000 §五)."""
    from docx import Document
    from docx.shared import Pt

    with translation.override("zh-hans"):
        book = book_for(application)
        answers = answers_of(application)
        counts = attachment_counts(application)
        document = Document()
        style = document.styles["Normal"]
        style.font.size = Pt(12)
        document.add_heading(application.call.title, level=0)
        document.add_paragraph(f"{application.organization.name} {application.organization.uscc}")
        for section in print_order(book.sections):
            key = section["key"]
            raw = answers.get(key, {})
            values, issues = book.evaluate(key, raw, counts.get(key, {}), answers)
            view = section_view(book, key, raw, issues, values)
            document.add_heading(_title(section), level=1)
            writer = DOCX_WRITERS.get(view["type"])
            if writer is not None:
                writer(document, view)
            else:
                for attachment in application.attachments.filter(section=key):
                    document.add_paragraph(attachment.original_name, style="List Bullet")
        buffer = io.BytesIO()
        document.save(buffer)
        return buffer.getvalue()


def request_bundle(application: Application) -> DocumentBundle:
    """Queue the stamped PDF of a submitted book; the same content and seal keep the same file."""
    from portal import bundles

    seal = application.organization.seal.name if application.organization.seal else ""
    return bundles.bundle_request(
        kind=KIND,
        subject=application,
        organization=application.organization,
        bureau=application.call.bureau,
        source=bundles.source_hash(application.content_hash, seal),
    )
