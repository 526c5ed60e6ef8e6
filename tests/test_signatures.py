"""Every stamped bundle is digitally signed (PAdES) as its last step; one changed byte fails the
check, on the public verify page too (issue 16, item 6)."""

import io
from datetime import datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from pyhanko.pdf_utils.reader import PdfFileReader
from pypdf import PdfReader

from portal import bundles, signing
from portal.documents import Part, build_bundle
from portal.models import DocumentBundle, Organization
from portal.scoping import scopes_disabled, visibility_scope
from portal.visibility import Visibility

pytestmark = pytest.mark.django_db


def small_bundle(bundle, progress):
    return build_bundle(
        cover_html="<h1>数字化转型试点申报书</h1>",
        parts=[Part(kind="html", title="一、基本信息", html="<h2>一、基本信息</h2><p>王堃</p>")],
        title="signature test",
        code=bundle.code,
        created=datetime(2025, 9, 1),
        seal_path=None,
    )


@pytest.fixture
def rendered(world, monkeypatch, django_capture_on_commit_callbacks):
    """A stamped bundle of the Jiangmen leading unit, rendered the way every bundle is."""
    monkeypatch.setitem(bundles.KINDS, "signature-test", bundles.Kind(small_bundle, Organization))

    def render(source: str = "x") -> DocumentBundle:
        with (
            visibility_scope(Visibility.system()),
            django_capture_on_commit_callbacks(execute=True),
        ):
            bundle = bundles.bundle_request(
                kind="signature-test",
                subject=world.jm_leader,
                source=source,
                organization=world.jm_leader,
            )
        with scopes_disabled():
            bundle = DocumentBundle.objects.get(pk=bundle.pk)
        assert bundle.status == "done", bundle.error
        return bundle

    return render


def flip_in_content(data: bytes) -> bytes:
    """One bit of a byte in the signed part of the file (a page's content, not the signature)."""
    changed = bytearray(data)
    at = data.index(b"stream", len(data) // 4) + 20
    changed[at] ^= 0x01
    return bytes(changed)


def test_a_stamped_bundle_is_signed_and_one_changed_byte_fails_the_check(rendered):
    data = Path(rendered().file.path).read_bytes()
    untouched = signing.check_signature(data)
    assert untouched.valid and untouched.signer == "SME Digital Transformation Pilot Portal"
    # The stamped, numbered pages are all there, under the signature: signing was the last step.
    assert "第 1 页 共" in PdfReader(io.BytesIO(data)).pages[0].extract_text()
    signature = PdfFileReader(io.BytesIO(data)).embedded_signatures[-1]
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    changed = signing.check_signature(flip_in_content(data))
    assert changed.signed and not changed.intact and not changed.valid
    appended = signing.check_signature(data + b"\n1 0 obj (added) endobj\n")
    assert appended.signed and not appended.whole_file and not appended.valid


def test_the_public_verify_page_checks_an_uploaded_files_signature(client, rendered):
    bundle = rendered()
    data = Path(bundle.file.path).read_bytes()
    page = client.post("/verify/", {"file": SimpleUploadedFile("copy.pdf", data)})
    body = page.content.decode()
    assert page.status_code == 200 and "数字签名有效" in body
    page = client.post("/verify/", {"file": SimpleUploadedFile("copy.pdf", flip_in_content(data))})
    assert "签名后被修改" in page.content.decode() and "数字签名有效" not in page.content.decode()
    # With the code too, the stored digest is compared as before.
    body = client.post(
        "/verify/", {"code": bundle.code, "file": SimpleUploadedFile("copy.pdf", data)}
    ).content.decode()
    assert "数字签名有效" in body and "完全一致" in body


@pytest.mark.parametrize(
    "content",
    [b"", b"not a pdf at all", b"%PDF-1.7\n garbage", b"%PDF-1.4\n%%EOF\n" * 3],
)
def test_garbage_uploads_get_a_message_not_an_error(client, content):
    page = client.post("/verify/", {"file": SimpleUploadedFile("copy.pdf", content)})
    assert page.status_code == 200
    assert "数字签名有效" not in page.content.decode()


def test_an_unsigned_pdf_is_reported_as_unsigned(client, tmp_path):
    from portal.documents import html_to_pdf, page_html

    html_to_pdf(page_html("<p>未签名的文件</p>"), tmp_path / "plain.pdf")
    page = client.post(
        "/verify/",
        {"file": SimpleUploadedFile("plain.pdf", (tmp_path / "plain.pdf").read_bytes())},
    )
    assert "没有数字签名" in page.content.decode()


def test_an_organizations_configured_key_signs_its_bundles(world, rendered, tmp_path):
    with override_settings(PORTAL_SIGNING_DIR=tmp_path):
        signing.make_key(
            f"organization-{world.jm_leader.uscc}", common_name="江门市某牵引企业有限公司"
        )
        check = signing.check_signature(Path(rendered().file.path).read_bytes())
    assert check.valid and check.signer == "江门市某牵引企业有限公司"


def test_a_bureau_key_signs_when_the_organization_has_none(world, tmp_path):
    with override_settings(PORTAL_SIGNING_DIR=tmp_path):
        signing.make_key(f"bureau-{world.jm.division_code}", common_name="江门市工业和信息化局")
        assert (
            signing.signer_name(organization=world.jm_leader, bureau=world.jm)
            == f"bureau-{world.jm.division_code}"
        )
        assert signing.signer_name(organization=world.jm_leader) == signing.PORTAL_SIGNER


def test_a_file_signed_by_a_key_the_portal_does_not_know_is_not_valid(tmp_path, rendered):
    data = Path(rendered().file.path).read_bytes()
    with override_settings(PORTAL_SIGNING_DIR=tmp_path):  # another portal's keys
        foreign = signing.sign_pdf(data[: data.index(b"%%EOF") + 5])
    check = signing.check_signature(foreign)
    assert check.signed and check.intact and not check.trusted and not check.valid
