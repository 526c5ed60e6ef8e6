"""A cover title breaks between words, never inside one (Chinese has no spaces to break at)."""

import io

from django.template.loader import render_to_string
from pypdf import PdfReader

from portal.documents import html_to_pdf, page_html
from portal.templatetags.portal_tags import TITLE_WORDS

LONG_TITLE = "江门市中小企业数字化转型城市试点数字化牵引单位遴选申报书汇总"


def test_the_cover_title_keeps_its_words_on_one_line(tmp_path):
    html = render_to_string(
        "documents/simple_cover.html",
        {
            "title": LONG_TITLE,
            "subtitle": "江工信工业互联函〔2025〕28号",
            "issuer": "江门市工业和信息化局",
        },
    )
    target = tmp_path / "cover.pdf"
    html_to_pdf(page_html(html), target)
    text = PdfReader(io.BytesIO(target.read_bytes())).pages[0].extract_text()
    lines = [line.replace(" ", "") for line in text.splitlines() if line.strip()]
    title_lines = [line for line in lines if line and line in LONG_TITLE]
    assert len(title_lines) >= 2, lines  # the title is long enough to wrap
    assert "".join(title_lines).startswith("江门市中小企业")
    for first, second in zip(title_lines, title_lines[1:], strict=False):
        joint = first + second
        for word in TITLE_WORDS:
            at = joint.find(word)
            while at >= 0:
                assert not (at < len(first) < at + len(word)), (word, first, second)
                at = joint.find(word, at + 1)
