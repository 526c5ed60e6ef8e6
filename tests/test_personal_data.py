"""Personal information (PIPL Art. 51; GB/T 22239-2019 8.1.4.11): encrypted at rest, masked in
lists, exports and PDFs for those without need, revealed (and audited) to those with it, and a
person sees what the portal holds about them."""

import io

import pytest
from django.core.exceptions import FieldError
from django.core.files.base import ContentFile
from django.db import connection
from pypdf import PdfReader

from portal import crypto, personal_data
from portal.downloads import private_download
from portal.models import AuditEvent, Organization, User
from portal.scoping import scopes_disabled

pytestmark = pytest.mark.django_db
PHONE = "13912345678"
MASKED = "139****5678"


@pytest.fixture
def contact(world):
    organization = world.jm_leader
    organization.contact_phone = PHONE
    organization.contact_email = "wang.li@example.cn"
    organization.save()
    return organization


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def _reveals(where: str, **detail: str) -> list[AuditEvent]:
    return list(
        AuditEvent._base_manager.filter(
            action="personal_data_revealed",
            detail__where=where,
            **{f"detail__{key}": value for key, value in detail.items()},
        )
    )


def test_masks_keep_only_what_identifies_nobody():
    assert personal_data.mask_phone(PHONE) == MASKED
    assert personal_data.mask_email("wang.li@example.cn") == "w***@example.cn"
    assert personal_data.mask_contact("0750-1234567") == "075*****4567"
    assert personal_data.mask_id_number("44070319900101123X") == "44070**********23X"
    assert personal_data.mask_phone("") == "" and personal_data.mask_phone("123") == "***"


def test_phones_and_contact_emails_are_encrypted_at_rest(contact, settings):
    stored = _raw("portal_organization", "contact_phone", contact.pk)
    assert stored.startswith("enc1:aes256gcm:") and PHONE not in stored
    assert "wang.li" not in _raw("portal_organization", "contact_email", contact.pk)
    with scopes_disabled():
        assert Organization.objects.get(pk=contact.pk).contact_phone == PHONE
    settings.PORTAL_CRYPTO = "national"
    user = User.objects.create_user(username="sm4", password="x", phone=PHONE)
    assert _raw("portal_user", "phone", user.pk).startswith("enc1:sm4gcm:")
    assert User.objects.get(pk=user.pk).phone == PHONE
    # Found by the keyed hash, never by the ciphertext.
    assert User.objects.get(phone_lookup=crypto.lookup_hash(PHONE, context="portal.user.phone"))
    # A value copied from another column does not decrypt there.
    with pytest.raises(ValueError):
        crypto.decrypt_text(
            _raw("portal_user", "phone", user.pk), context="portal.organization.contact_phone"
        )


def test_an_equality_filter_on_an_encrypted_column_fails_loudly():
    with pytest.raises(FieldError):
        User.objects.filter(phone=PHONE).exists()


def test_the_organization_list_masks_the_contact_phone_even_for_managers(client, world, contact):
    client.force_login(world.jm_manager)
    page = client.get("/organizations/", {"q": contact.uscc}).content.decode()
    assert MASKED in page and PHONE not in page


def test_the_detail_reveals_to_the_bureau_manager_with_an_audit_record_and_masks_for_a_reviewer(
    client, world, contact
):
    client.force_login(world.jm_reviewer)
    page = client.get(f"/organizations/{contact.pk}/").content.decode()
    assert MASKED in page and PHONE not in page and "w***@example.cn" in page
    assert _reveals("organization_detail") == []
    client.force_login(world.jm_manager)
    page = client.get(f"/organizations/{contact.pk}/").content.decode()
    assert PHONE in page and "wang.li@example.cn" in page
    (event,) = _reveals("organization_detail")
    assert event.actor_id == world.jm_manager.pk and event.object_id == str(contact.pk)
    client.force_login(world.jm_leader_admin)  # a member of the organization itself
    assert PHONE in client.get(f"/organizations/{contact.pk}/").content.decode()


def test_the_export_masks_for_a_reviewer_and_reveals_for_a_manager(client, world, contact):
    query = {"table": "organizations", "q": contact.uscc, "format": "csv"}
    client.force_login(world.jm_reviewer)
    body = client.get("/exports/", query).content.decode("utf-8-sig")
    assert contact.name in body and MASKED in body and PHONE not in body
    assert _reveals("export", table="organizations") == []
    client.force_login(world.jm_manager)
    body = client.get("/exports/", query).content.decode("utf-8-sig")
    assert PHONE in body
    (event,) = _reveals("export", table="organizations")
    assert event.actor_id == world.jm_manager.pk and event.detail["count"] == 1


def test_the_pdf_print_masks_for_a_reviewer(client, world, contact):
    client.force_login(world.jm_reviewer)
    response = client.get("/exports/", {"table": "organizations", "format": "pdf"})
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert MASKED in text and PHONE not in text and contact.name in text
    assert AuditEvent._base_manager.filter(action="exported", detail__format="pdf").exists()


def test_a_pdf_of_a_long_list_is_refused_with_a_message(client, world, contact, monkeypatch):
    from portal import export_views

    monkeypatch.setattr(export_views, "PDF_MAX_ROWS", 1)
    client.force_login(world.jm_manager)
    response = client.get("/exports/", {"table": "organizations", "format": "pdf"}, follow=True)
    assert response.status_code == 200 and "PDF 最多" in response.content.decode()


def test_a_person_sees_what_the_portal_holds_about_them_and_the_view_is_audited(client, world):
    user = world.jm_manager
    user.phone, user.email = PHONE, "li@example.cn"
    user.save()
    client.force_login(user)
    client.get("/organizations/")
    page = client.get("/accounts/my-data/").content.decode()
    assert PHONE in page and "li@example.cn" in page and "jm_manager" in page
    assert world.jm.name in page  # their role's bureau
    assert AuditEvent._base_manager.filter(action="personal_data_viewed", actor=user).exists()
    client.force_login(world.pj_applicant)
    other = client.get("/accounts/my-data/").content.decode()
    assert PHONE not in other and world.pj_maker.name in other


def test_an_expert_sees_their_expert_profile_on_their_data_page(client, world):
    client.force_login(world.expert_li)
    page = client.get("/accounts/my-data/").content.decode()
    assert "专家信息" in page or "Expert profile" in page


def test_downloading_a_private_file_is_audited(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    organization = world.pj_maker
    organization.seal.save("seal.png", ContentFile(b"\x89PNG seal"), save=True)
    response = private_download(organization.seal, filename="seal.png", content_type="image/png")
    response.file_to_stream.close()  # not response.close(): that ends the request's connection
    event = AuditEvent._base_manager.get(action="file_downloaded")
    assert event.object_type == "portal.organization" and event.object_id == str(organization.pk)
    assert event.detail == {"file": "seal.png", "field": "seal"}


def test_rotating_the_key_re_encrypts_and_keeps_users_findable(contact, settings):
    from django.core.management import call_command

    user = User.objects.create_user(username="rotated", password="x", phone=PHONE)
    before = _raw("portal_user", "phone", user.pk)
    settings.PORTAL_DATA_KEYS = {
        **settings.PORTAL_DATA_KEYS,
        "k2": "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=",
    }
    settings.PORTAL_DATA_KEY_ID = "k2"
    settings.PORTAL_CRYPTO = "national"
    call_command("reencrypt_personal_data")
    after = _raw("portal_user", "phone", user.pk)
    assert before.split(":")[1:3] == ["aes256gcm", "0"] and after.split(":")[1:3] == [
        "sm4gcm",
        "k2",
    ]
    assert _raw("portal_organization", "contact_phone", contact.pk).split(":")[2] == "k2"
    assert User.objects.get(pk=user.pk).phone == PHONE
    assert User.objects.get(phone_lookup=crypto.lookup_hash(PHONE, context="portal.user.phone"))


def test_the_api_masks_the_contact_phone(client, world, contact):
    client.force_login(world.jm_manager)
    data = client.get(f"/api/v1/organizations/{contact.pk}/").json()
    assert data["contact_phone"] == MASKED
