"""Generated PDFs print every character of a legal name from the shipped GB 18030 font and from no
system font; a character the font lacks stops the render and is named (issue 16, item 1)."""

import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from portal import bundles, pdf_fonts
from portal.documents import html_to_pdf, page_html
from portal.models import DocumentBundle, Organization
from portal.scoping import scopes_disabled, visibility_scope
from portal.visibility import Visibility
from tests.conftest import ARTIFACTS

# Names with characters GB 2312 lacks: GBK / GB 18030 two-byte (䶮 堃 喆 犇 龘), CJK Extension A
# (㐀 䲜), the later Unified additions (鿏) and Extension B (𠮷 𡈼 𤆬).
NAMES = ["刘䶮", "王堃", "张喆", "犇淼科技有限公司", "龘龘工坊", "㐀䲜鿏", "𠮷野家𡈼𤆬"]
# WeasyPrint names an embedded font by its family and style.
REGULAR, BOLD = "Noto-Serif-CJK-SC", "Noto-Serif-CJK-SC-Bold"
SHIPPED = {REGULAR, BOLD}
# Characters the shipped font does not have although the machine's fonts do (Hangul, emoji).
UNPRINTABLE = "한😀𪚥"


def base_names(pdf: Path) -> list[str]:
    """The /BaseFont of every font the PDF's pages use, without the subset tag (ABCDEF+)."""
    names = []
    for page in PdfReader(pdf).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for font in fonts.values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (
                descendants[0].get_object()["/FontDescriptor"]
                if descendants
                else font["/FontDescriptor"]
            ).get_object()
            # Every font is embedded: a font file in its descriptor.
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font
            names.append(str(font["/BaseFont"]).lstrip("/").split("+")[-1])
    return names


def pdffonts(pdf: Path) -> list[tuple[str, str]]:
    """(name, embedded) per font, as poppler's pdffonts lists them."""
    if not shutil.which("pdffonts"):
        pytest.skip("poppler-utils is not installed")
    lines = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    return [(line.split()[0].split("+")[-1], line.split()[-5]) for line in lines]


def test_names_outside_gb2312_print_from_the_shipped_font_alone(tmp_path):
    for name in NAMES:
        with pytest.raises(UnicodeEncodeError):
            name.encode("gb2312")  # each name needs more than GB 2312
    body = "".join(f"<p>申请人：{n}</p><p><b>{n}</b></p>" for n in NAMES)
    target = tmp_path / "names.pdf"
    html_to_pdf(page_html(body), target)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "gb18030-names.pdf").write_bytes(target.read_bytes())
    text = "".join(page.extract_text() for page in PdfReader(target).pages).replace(" ", "")
    for name in NAMES:
        assert text.count(name) == 2, name  # the text layer holds each glyph, regular and bold
    assert set(base_names(target)) == SHIPPED
    assert {(name, embedded) for name, embedded in pdffonts(target)} == {
        (name, "yes") for name in SHIPPED
    }


def test_families_a_template_may_name_never_reach_a_system_font(tmp_path):
    """Latin, digits and punctuation in families the machine has are printed with the shipped
    face too: the render's font configuration lists no system font."""
    families = ["DejaVu Sans", "Noto Sans CJK SC", "Liberation Mono", "sans-serif", "monospace"]
    body = "".join(
        f"<p style=\"font-family: '{family}'\">Invoice No. 0123456789 ￥1,234.50 — 江门（2025）</p>"
        for family in families
    )
    target = tmp_path / "families.pdf"
    html_to_pdf(page_html(body), target)
    assert set(base_names(target)) == {REGULAR}
    configured = pdf_fonts.configured_files(pdf_fonts.font_configuration())
    assert configured and set(configured) == {p.resolve() for p in pdf_fonts.font_files()}


def test_a_character_the_font_lacks_stops_the_render_and_is_named(tmp_path):
    target = tmp_path / "missing.pdf"
    with pytest.raises(pdf_fonts.MissingGlyphs) as caught:
        html_to_pdf(page_html(f"<p>申请人：李{UNPRINTABLE}</p>"), target)
    assert caught.value.characters == sorted(UNPRINTABLE)
    for character in UNPRINTABLE:
        assert f"U+{ord(character):04X}" in str(caught.value)
    assert not target.exists()
    # Markup, styles and character references are read as the text they print.
    assert (
        pdf_fonts.missing_characters("<style>p::after { content: '' }</style><p>&#x4DAE;</p>") == []
    )
    assert pdf_fonts.missing_characters("<p title='한'>&#xD55C;</p>") == ["한"]


def test_without_the_check_a_missing_glyph_still_comes_from_no_system_font(tmp_path, monkeypatch):
    """The machine's fonts have Hangul; the render's font configuration does not offer them."""
    monkeypatch.setattr(pdf_fonts, "check_printable", lambda html: None)
    target = tmp_path / "unchecked.pdf"
    html_to_pdf(page_html("<p>한국 江门</p>"), target)
    assert set(base_names(target)) == {REGULAR}


def test_a_bundle_stopped_by_a_missing_glyph_tells_the_applicant_which(
    client, world, monkeypatch, django_capture_on_commit_callbacks
):
    def builder(bundle, progress):
        from datetime import datetime

        from portal.documents import build_bundle

        return build_bundle(
            cover_html=f"<h1>{world.jm_leader.name}李{UNPRINTABLE}</h1>",
            parts=[],
            title="test",
            code=bundle.code,
            created=datetime(2025, 9, 1),
            seal_path=None,
        )

    monkeypatch.setitem(bundles.KINDS, "font-test", bundles.Kind(builder, Organization))
    with visibility_scope(Visibility.system()), django_capture_on_commit_callbacks(execute=True):
        bundle = bundles.bundle_request(
            kind="font-test", subject=world.jm_leader, source="x", organization=world.jm_leader
        )
    with scopes_disabled():
        bundle = DocumentBundle.objects.get(pk=bundle.pk)
    assert bundle.status == "failed" and bundle.unprintable == "".join(sorted(UNPRINTABLE))
    client.force_login(world.jm_leader_admin)
    body = client.get(f"/documents/{bundle.pk}/status/").content.decode()
    assert "U+D55C" in body and "U+1F600" in body and "字体" in body
