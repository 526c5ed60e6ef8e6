"""The document engine: HTML parts → PDF (WeasyPrint), uploaded PDFs appended (pypdf), one page
numbering over the whole bundle, the seal on the cover and declaration and as a cross-page seal
(骑缝章), and a verification code in every footer.

Why an overlay: WeasyPrint's ``counter(pages)`` cannot count pages appended afterwards, so the
footers ("第 X 页 共 Y 页") and the seal slices are drawn on one overlay document of exactly
as many pages as the bundle, and each overlay page is merged onto its bundle page.

Each part is rendered to its own temporary file and the merge reads them back, so memory stays
bounded by the largest part rather than the whole bundle. Output is deterministic: fixed
metadata and a PDF identifier derived from the content, so the same content gives the same file.
"""

import base64
import hashlib
import hmac
import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from . import pdf_fonts

A4 = (595.2756, 841.8898)  # points
MM = 72 / 25.4
SEAL_MM = 42  # an official seal is 42 mm across


@dataclass
class Part:
    """One piece of a bundle, in order. ``title`` puts it in the table of contents."""

    kind: str  # "html", "pdf" or "image"
    title: str = ""
    html: str = ""
    path: Path | None = None
    caption: str = ""
    level: int = 1


@dataclass
class Rendered:
    pdf: bytes
    pages: int
    toc: list[tuple[str, int, int]] = field(default_factory=list)  # (title, level, first page)


def html_to_pdf(html: str, target: Path) -> int:
    """Render an HTML document to ``target``; return its page count."""
    document = _render(html)
    document.write_pdf(target, uncompressed_pdf=False)
    return len(document.pages)


def _render(html: str) -> Any:
    """Lay ``html`` out with the shipped fonts alone, after checking they can print its text."""
    from weasyprint import HTML

    pdf_fonts.check_printable(html)
    fonts = pdf_fonts.font_configuration()
    return HTML(string=html, base_url=str(settings.BASE_DIR)).render(font_config=fonts)


def page_html(body: str, *, title: str = "", extra_css: str = "") -> str:
    return render_to_string(
        "documents/page.html", {"body": body, "title": title, "extra_css": extra_css}
    )


def verification_code(kind: str, subject_type: str, subject_id: int, source_hash: str) -> str:
    """A short code derived from the document's kind, its subject (the subject's model label,
    e.g. ``pilots.pilotenterprise``, and primary key) and content: the same gives the same code."""
    message = "|".join([kind, subject_type, str(subject_id), source_hash])
    digest = hmac.new(settings.SECRET_KEY.encode(), message.encode(), hashlib.sha256).digest()
    letters = base64.b32encode(digest).decode().rstrip("=")[:12]
    return "-".join(letters[i : i + 4] for i in range(0, 12, 4))


def build_bundle(
    *,
    cover_html: str,
    parts: list[Part],
    title: str,
    code: str,
    created: datetime,
    seal_path: Path | None,
    progress: Callable[[int], None] = lambda percent: None,
) -> Rendered:
    """Cover + contents + parts, numbered and sealed as one bundle."""
    from pypdf import PdfReader, PdfWriter, Transformation
    from pypdf.generic import ArrayObject, ByteStringObject, NameObject

    with tempfile.TemporaryDirectory(prefix="bundle-") as scratch:
        folder = Path(scratch)
        # One WeasyPrint pass for every HTML part (font loading and subsetting dominate the
        # time); each part starts on a new page and is found again by its anchor.
        content = folder / "content.pdf"
        starts_in_content = _render_parts(
            page_html(
                _html_blocks(cover_html, parts),
                title=title,
                extra_css=".part { page-break-before: always; } .part:first-child { page-break-before: auto; }",
            ),
            content,
        )
        progress(50)
        content_pages = len(PdfReader(content).pages)
        order = ["part-cover"] + [f"part-{i}" for i, p in enumerate(parts) if p.kind != "pdf"]
        spans = _spans(order, starts_in_content, content_pages)
        sequence: list[
            tuple[Path, int, int]
        ] = []  # (file, first page index, end index) in bundle order
        lengths = []
        for index, part in enumerate(parts):
            if part.kind == "pdf":
                pages = len(PdfReader(part.path).pages)
                sequence.append((part.path, 0, pages))
            else:
                first, last = spans[f"part-{index}"]
                sequence.append((content, first, last))
            lengths.append(sequence[-1][2] - sequence[-1][1])
        cover_first, cover_last = spans["part-cover"]
        cover_pages = cover_last - cover_first

        # The contents need the page where each part starts, which depends on their own length:
        # render, measure, and render again until the numbers settle.
        toc_pages, toc_file = 1, folder / "toc.pdf"
        for _attempt in range(3):
            entries, page = [], cover_pages + toc_pages + 1
            for part, length in zip(parts, lengths, strict=True):
                if part.title:
                    entries.append((part.title, part.level, page))
                page += length
            measured = html_to_pdf(
                page_html(render_to_string("documents/toc.html", {"entries": entries})), toc_file
            )
            if measured == toc_pages:
                break
            toc_pages = measured
        total = page - 1
        progress(70)

        overlay_html = page_html(
            render_to_string(
                "documents/overlay.html",
                {
                    # Page i shows the i-th vertical slice of the seal: stacked, the edges rebuild it.
                    "pages": [(n, f"{(n - 1) * SEAL_MM / total:.4f}") for n in range(1, total + 1)],
                    "total": total,
                    "code": code,
                    "seal": seal_path.as_uri() if seal_path else "",
                    "seal_mm": SEAL_MM,
                    "strip_mm": f"{SEAL_MM / total:.4f}",
                },
            ),
            extra_css="@page { margin: 0; }",
        )
        if html_to_pdf(overlay_html, folder / "overlay.pdf") != total:
            raise RuntimeError("the overlay does not match the bundle's page count")
        overlay = PdfReader(folder / "overlay.pdf")
        progress(85)

        writer = PdfWriter()
        number = 0
        readers: dict[Path, Any] = {}
        for path, first, last in [
            (content, cover_first, cover_last),
            (toc_file, 0, toc_pages),
            *sequence,
        ]:
            reader = readers.setdefault(path, PdfReader(path))
            for source in reader.pages[first:last]:
                page_out = _on_a4(writer, source, Transformation)
                page_out.merge_page(overlay.pages[number])
                number += 1
        stamp = created.strftime("D:%Y%m%d%H%M%S+08'00'")
        writer.add_metadata(
            {
                "/Title": title,
                "/Producer": "SME pilot portal",
                "/Creator": "SME pilot portal",
                "/CreationDate": stamp,
                "/ModDate": stamp,
            }
        )
        identifier = ByteStringObject(
            hashlib.md5(f"{title}|{code}|{total}".encode(), usedforsecurity=False).digest()
        )
        writer._ID = ArrayObject([identifier, identifier])
        writer._root_object[NameObject("/PageMode")] = NameObject("/UseNone")
        buffer = io.BytesIO()
        writer.write(buffer)
        progress(95)
        return Rendered(pdf=buffer.getvalue(), pages=total, toc=entries)


def _html_blocks(cover_html: str, parts: list[Part]) -> str:
    """The cover and every HTML or image part as one document, each part a block with an id."""
    blocks = [f'<div class="part" id="part-cover">{cover_html}</div>']
    for index, part in enumerate(parts):
        if part.kind == "html":
            blocks.append(f'<div class="part" id="part-{index}">{part.html}</div>')
        elif part.kind == "image":
            blocks.append(
                f'<div class="part" id="part-{index}">'
                + render_to_string(
                    "documents/image_page.html",
                    {"src": part.path.as_uri(), "caption": part.caption},
                )
                + "</div>"
            )
    return "".join(blocks)


def _spans(order: list[str], starts: dict[str, int], pages: int) -> dict[str, tuple[int, int]]:
    """Each rendered part's (first page, end page) in the content file: to the next part's start."""
    ends = [starts[anchor] for anchor in order[1:]] + [pages]
    return {anchor: (starts[anchor], end) for anchor, end in zip(order, ends, strict=True)}


def _render_parts(html: str, target: Path) -> dict[str, int]:
    """Render and return the first page index of every element whose id starts with "part-"."""
    document = _render(html)
    starts: dict[str, int] = {}
    for index, page in enumerate(document.pages):
        for anchor in page.anchors:
            if anchor.startswith("part-"):
                starts.setdefault(anchor, index)
    document.write_pdf(target)
    return starts


def _on_a4(writer: Any, source: Any, transformation: Any) -> Any:
    """Add ``source`` to the writer as an upright A4 page; other sizes are scaled to fit, centred."""
    from pypdf.generic import RectangleObject

    page = writer.add_page(source)
    if page.get("/Rotate"):
        page.transfer_rotation_to_content()
    box = page.mediabox
    left, bottom, width, height = (
        float(box.left),
        float(box.bottom),
        float(box.width),
        float(box.height),
    )
    if abs(width - A4[0]) < 2 and abs(height - A4[1]) < 2 and left == 0 and bottom == 0:
        return page
    margin = 15 * MM
    scale = min((A4[0] - 2 * margin) / width, (A4[1] - 2 * margin) / height)
    offset_x, offset_y = (A4[0] - width * scale) / 2, (A4[1] - height * scale) / 2
    page.add_transformation(
        transformation().translate(-left, -bottom).scale(scale, scale).translate(offset_x, offset_y)
    )
    a4 = RectangleObject([0, 0, A4[0], A4[1]])
    page.mediabox = a4
    page.cropbox = a4
    page.trimbox = a4
    page.bleedbox = a4
    page.artbox = a4
    return page


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
