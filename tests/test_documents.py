"""The stamped PDF bundle (000 §五): a real render, read back with a PDF text extractor."""

import hashlib
import io
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw
from pypdf import PdfReader

from applications import documents
from applications import services as application_services
from portal import bundles, crypto
from portal.documents import html_to_pdf, page_html
from portal.models import DocumentBundle
from portal.scoping import scopes_disabled, visibility_scope
from portal.services import organization_seal_set
from portal.visibility import Visibility
from tests.books import fill_book, upload
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.django_db
SEAL_SIZE = 400


def seal_png(transparent: bool = True) -> bytes:
    image = Image.new(
        "RGBA", (SEAL_SIZE, SEAL_SIZE), (0, 0, 0, 0) if transparent else (255, 255, 255, 255)
    )
    draw = ImageDraw.Draw(image)
    draw.ellipse((10, 10, SEAL_SIZE - 10, SEAL_SIZE - 10), outline=(200, 0, 0, 255), width=14)
    draw.regular_polygon((SEAL_SIZE / 2, SEAL_SIZE / 2, 60), 5, fill=(200, 0, 0, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def text_pdf(tmp_path: Path, name: str, text: str, pages: int = 1, size: str = "A4") -> bytes:
    body = "".join(
        f'<p style="page-break-after: always">{text} 第{n + 1}张</p>' for n in range(pages)
    )
    target = tmp_path / name
    html_to_pdf(page_html(body, extra_css=f"@page {{ size: {size}; }}"), target)
    return target.read_bytes()


def jpg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 800), (30, 90, 160)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
def bundle_setup(world, leading_call, tmp_path, django_capture_on_commit_callbacks):
    applicant = world.jm_leader_admin
    visibility = Visibility.for_user(applicant)
    with visibility_scope(visibility):
        organization_seal_set(
            visibility=visibility,
            organization=world.jm_leader,
            upload=SimpleUploadedFile("seal.png", seal_png(), content_type="image/png"),
        )
        application = application_services.application_start(
            visibility=visibility, call=leading_call, organization=world.jm_leader, actor=applicant
        )
    fill_book(application, applicant)
    with visibility_scope(visibility):
        # Three multi-page PDFs (one in US Letter, fitted onto A4) and two images.
        for slot, name, text, pages, size in [
            ("licence", "营业执照.pdf", "附件样本营业执照", 2, "A4"),
            ("audit_2024", "审计报告.pdf", "附件样本审计报告", 3, "letter"),
            ("credit_report", "信用报告.pdf", "附件样本信用报告", 2, "A4"),
        ]:
            application_services.attachment_add(
                visibility=visibility,
                application=application,
                section_key="proofs",
                slot_key=slot,
                upload=upload(name, text_pdf(tmp_path, name, text, pages, size)),
                actor=applicant,
            )
        application_services.attachment_add(
            visibility=visibility,
            application=application,
            section_key="proofs",
            slot_key="legal_rep_id",
            upload=upload("身份证.jpg", jpg_bytes()),
            actor=applicant,
        )
        application_services.attachment_add(
            visibility=visibility,
            application=application,
            section_key="proofs",
            slot_key="intent_letters",
            upload=upload("意向书.png", seal_png(transparent=False)),
            actor=applicant,
        )
        with django_capture_on_commit_callbacks(execute=True):
            application_services.application_submit(
                visibility=visibility, application=application, actor=applicant
            )
    with scopes_disabled():
        bundle = DocumentBundle.objects.get(application=application)
    return application, bundle


def test_the_bundle_is_numbered_contents_match_and_every_page_is_sealed(world, bundle_setup):
    application, bundle = bundle_setup
    assert bundle.status == "done" and bundle.pages > 10
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "application-bundle.pdf").write_bytes(
        Path(bundle.file.path).read_bytes()
    )  # for people to look at
    reader = PdfReader(bundle.file.path)
    total = len(reader.pages)
    assert total == bundle.pages
    texts = [page.extract_text() for page in reader.pages]
    for number, text in enumerate(texts, 1):
        assert f"第 {number} 页 共 {total} 页" in text, (
            number
        )  # the footer counts appended pages too
        assert bundle.code in text
    # The contents (page 2): each entry's number is the page where that part starts.
    entries = [
        (m.group(1).strip(), int(m.group(2)))
        for m in re.finditer(r"^(.+?)\s+(\d+)\s*$", texts[1], re.M)
    ]
    titles = {title for title, _page in entries}
    assert {"一、申报书基本信息表", "九、相关证明材料", "十、申报单位承诺函"} <= titles
    for title, page in entries:
        target = texts[page - 1]
        if title.startswith(("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")):
            assert title in target.replace("\n", ""), (title, page)
    expected_appended = {
        "申报单位营业执照": "附件样本营业执照 第1张",
        "2024年财务审计报告（或税审报告）": "附件样本审计报告 第1张",
        "“信用中国”《法人和非法人组织公共信用信息报告》": "附件样本信用报告 第1张",
    }
    for title, marker in expected_appended.items():
        page = next(p for t, p in entries if t == title)
        assert marker in texts[page - 1], title
    # Every page carries a slice of the uploaded seal (the overlay's clipped seal image).
    for number, page in enumerate(reader.pages, 1):
        sizes = {(image.image.width, image.image.height) for image in page.images}
        assert (SEAL_SIZE, SEAL_SIZE) in sizes, number
    # The Letter-size attachment was fitted onto A4 like every other page.
    assert {
        (round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages
    } == {(595, 842)}


def test_the_same_content_gives_the_same_file_and_the_code_verifies(world, bundle_setup):
    application, bundle = bundle_setup
    first = Path(bundle.file.path).read_bytes()
    with scopes_disabled():
        again = documents.build(bundle, lambda percent: None).pdf
    # The stored file is the build plus its signature, appended as an incremental update: the
    # build is the file's first revision, byte for byte. Digests, not bytes: a failing byte
    # comparison of two PDFs makes pytest diff whole files.
    assert len(first) > len(again)
    assert hashlib.sha256(first[: len(again)]).hexdigest() == hashlib.sha256(again).hexdigest()
    assert bundles.bundle_verify(bundle.code, io.BytesIO(first)).matches is True
    changed = bytearray(first)
    changed[len(changed) // 2] ^= 0x01
    assert bundles.bundle_verify(bundle.code, io.BytesIO(bytes(changed))).matches is False
    assert bundles.bundle_verify(bundle.code.lower().replace("-", " ")).found  # forgiving input
    assert not bundles.bundle_verify("AAAA-BBBB-CCCC").found


def test_with_the_national_suite_the_stored_digest_is_sm3_and_both_kinds_verify(
    world, bundle_setup, settings
):
    application, bundle = bundle_setup
    data = Path(bundle.file.path).read_bytes()
    assert bundle.sha256 == crypto.digest_hex(data, "sha256")
    settings.PORTAL_CRYPTO = "national"
    with scopes_disabled():
        DocumentBundle.objects.filter(pk=bundle.pk).update(status="queued")
    assert bundles.bundle_render(bundle.pk)
    with scopes_disabled():
        bundle.refresh_from_db()
    data = Path(bundle.file.path).read_bytes()
    assert bundle.sha256 == crypto.digest_hex(data, "sm3") != crypto.digest_hex(data, "sha256")
    assert bundles.bundle_verify(bundle.code, io.BytesIO(data)).matches is True
    assert bundles.bundle_verify(bundle.code, io.BytesIO(data + b" ")).matches is False


def test_the_public_verify_page_reveals_no_content(client, world, bundle_setup):
    application, bundle = bundle_setup
    data = Path(bundle.file.path).read_bytes()
    response = client.post(
        "/verify/", {"code": bundle.code, "file": SimpleUploadedFile("copy.pdf", data)}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "完全一致" in body and world.jm_leader.name not in body
    tampered = client.post(
        "/verify/", {"code": bundle.code, "file": SimpleUploadedFile("copy.pdf", data[:-1] + b"x")}
    )
    assert "不一致" in tampered.content.decode()
    assert "未找到" in client.post("/verify/", {"code": "<script>"}).content.decode()


def test_only_those_who_see_the_book_download_its_pdf(client, world, bundle_setup):
    application, bundle = bundle_setup
    client.force_login(world.jm_leader_admin)
    response = client.get(f"/documents/{bundle.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "下载盖章 PDF" in client.get(f"/applications/{application.pk}/").content.decode()
    client.force_login(world.jm_manager)
    assert client.get(f"/documents/{bundle.pk}/").status_code == 200
    client.force_login(world.gz_manager)
    assert client.get(f"/documents/{bundle.pk}/").status_code == 404
    assert client.get(f"/documents/{bundle.pk}/status/").status_code == 404


def test_without_a_seal_the_bundle_says_so_and_draws_none(
    world, leading_call, django_capture_on_commit_callbacks
):
    applicant = world.pj_applicant
    visibility = Visibility.for_user(applicant)
    with visibility_scope(visibility):
        application = application_services.application_start(
            visibility=visibility, call=leading_call, organization=world.pj_maker, actor=applicant
        )
    fill_book(application, applicant)
    with visibility_scope(visibility), django_capture_on_commit_callbacks(execute=True):
        application_services.application_submit(
            visibility=visibility, application=application, actor=applicant
        )
    with scopes_disabled():
        bundle = DocumentBundle.objects.get(application=application)
    reader = PdfReader(bundle.file.path)
    assert "未上传印章" in reader.pages[0].extract_text()
    assert all(not page.images for page in reader.pages[:2])


@pytest.mark.parametrize(
    ("content", "message"), [(b"not a png", "不是可读取的 PNG"), ("opaque", "透明背景")]
)
def test_a_seal_must_be_a_transparent_png(world, content, message):
    if content == "opaque":
        content = seal_png(transparent=False)
    visibility = Visibility.for_user(world.jm_leader_admin)
    from django.core.exceptions import ValidationError

    with visibility_scope(visibility), pytest.raises(ValidationError) as caught:
        organization_seal_set(
            visibility=visibility,
            organization=world.jm_leader,
            upload=SimpleUploadedFile("s.png", content),
        )
    assert message in caught.value.messages[0]


def test_the_editable_copy_opens_in_word(client, world, bundle_setup):
    from docx import Document

    application, bundle = bundle_setup
    client.force_login(world.jm_leader_admin)
    response = client.get(f"/applications/{application.pk}/book.docx")
    document = Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "一、申报书基本信息表" in text and world.jm_leader.name in text


def test_the_page_edges_rebuild_the_seal(world, bundle_setup, tmp_path):
    """Stack the pages: the slices on their right edges form the uploaded seal again (骑缝章)."""
    import os
    import shutil
    import subprocess

    if not shutil.which("pdftoppm"):
        if os.environ.get("CI"):
            pytest.fail("CI must install poppler-utils")
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    application, bundle = bundle_setup
    dpi, total = 150, bundle.pages
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", bundle.file.path, str(tmp_path / "p")],
        check=True,
        timeout=120,
    )
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) == total
    px = dpi / 25.4
    strip = 42 * px / total
    height = round(42 * px)
    rebuilt = Image.new("RGB", (round(strip * total), height), "white")
    for index, path in enumerate(pages):
        page = Image.open(path).convert("RGB")
        right = page.width
        piece = page.crop((round(right - strip), round(127 * px), right, round(127 * px) + height))
        rebuilt.paste(piece, (round(index * strip), 0))
    original = Image.open(io.BytesIO(seal_png())).convert("RGBA").resize(rebuilt.size)

    def red(image, x, y):
        r, g, b = image.getpixel((x, y))[:3]
        return (
            r > 150
            and g < 100
            and b < 100
            and (image.mode != "RGBA" or image.getpixel((x, y))[3] > 128)
        )

    ours = {
        (x, y) for x in range(rebuilt.width) for y in range(rebuilt.height) if red(rebuilt, x, y)
    }
    theirs = {
        (x, y) for x in range(original.width) for y in range(original.height) if red(original, x, y)
    }
    overlap = len(ours & theirs) / len(ours | theirs)
    rebuilt.save(ARTIFACTS / "cross-page-seal-rebuilt.png")
    assert overlap > 0.6, overlap
