"""People managed by those responsible for them: an organization's admin adds, re-roles and
removes its members (never leaving it without an admin); a bureau's managers keep its expert
pool. New accounts get a one-time password they must change at first sign-in."""

import pytest

from evaluation.models import ExpertProfile
from portal.models import AuditEvent, Membership, Role, User
from portal.scoping import scopes_disabled
from portal.uscc import with_check_digit

pytestmark = pytest.mark.django_db


def membership(user, organization):
    with scopes_disabled():
        return Membership.objects.get(user=user, organization=organization)


def actions():
    with scopes_disabled():
        return list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))


def add_url(organization):
    return f"/organizations/{organization.pk}/members/add/"


def role_url(organization, member):
    return f"/organizations/{organization.pk}/members/{member.pk}/role/"


def remove_url(organization, member):
    return f"/organizations/{organization.pk}/members/{member.pk}/remove/"


def test_an_organization_admin_adds_a_new_account_shown_once_with_its_password(client, world):
    client.force_login(world.pj_applicant)
    response = client.post(
        add_url(world.pj_maker),
        {"username": "pj_new", "full_name": "新同事", "phone": "13900000000", "role": "org_member"},
    )
    assert response.status_code == 200
    password = response.context["password"]
    user = User.objects.get(username="pj_new")
    assert user.check_password(password) and user.must_change_password
    assert membership(user, world.pj_maker).role == Role.ORG_MEMBER
    assert {"account_created", "member_added"} <= set(actions())

    # The new person must choose a password before anything else.
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/"
    response = client.post(
        "/accounts/password/",
        {
            "old_password": password,
            "new_password1": "Zq8!longer-pass",
            "new_password2": "Zq8!longer-pass",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password
    assert client.get("/").status_code == 200


def test_an_existing_account_is_added_by_phone_once_only(client, world):
    world.jh_applicant.phone = "13700000001"  # saved with its keyed hash (encrypted column)
    world.jh_applicant.save(update_fields=["phone"])
    client.force_login(world.pj_applicant)
    response = client.post(
        add_url(world.pj_maker), {"identifier": "13700000001", "role": "org_admin"}
    )
    assert response.status_code == 302
    assert membership(world.jh_applicant, world.pj_maker).role == Role.ORG_ADMIN
    response = client.post(
        add_url(world.pj_maker),
        {"identifier": world.jh_applicant.username, "role": "org_member"},
        follow=True,
    )
    assert (
        "已是该单位的成员" in response.content.decode()
        or "already a member" in response.content.decode()
    )
    with scopes_disabled():
        assert (
            Membership.objects.filter(user=world.jh_applicant, organization=world.pj_maker).count()
            == 1
        )


def test_the_last_admin_can_be_neither_demoted_nor_removed(client, world):
    client.force_login(world.pj_applicant)
    admin = membership(world.pj_applicant, world.pj_maker)
    client.post(role_url(world.pj_maker, admin), {"role": "org_member"})
    client.post(remove_url(world.pj_maker, admin))
    assert membership(world.pj_applicant, world.pj_maker).role == Role.ORG_ADMIN

    # With a second admin, the first may step down, and a member may be removed.
    member = membership(world.pj_member, world.pj_maker)
    assert client.post(role_url(world.pj_maker, member), {"role": "org_admin"}).status_code == 302
    assert membership(world.pj_member, world.pj_maker).role == Role.ORG_ADMIN
    client.post(role_url(world.pj_maker, admin), {"role": "org_member"})
    assert membership(world.pj_applicant, world.pj_maker).role == Role.ORG_MEMBER
    client.force_login(world.pj_member)
    assert client.post(remove_url(world.pj_maker, admin)).status_code == 302
    with scopes_disabled():
        assert not Membership.objects.filter(
            user=world.pj_applicant, organization=world.pj_maker
        ).exists()
    assert {"member_role_changed", "member_removed"} <= set(actions())


def test_members_and_bureau_staff_may_not_manage_members(client, world):
    admin = membership(world.pj_applicant, world.pj_maker)
    for persona in ("pj_member", "pj_manager"):
        client.force_login(world.users[persona])
        assert client.post(remove_url(world.pj_maker, admin)).status_code == 403
        assert (
            client.post(
                add_url(world.pj_maker), {"username": "x", "role": "org_member"}
            ).status_code
            == 403
        )
    assert membership(world.pj_applicant, world.pj_maker)


def test_another_organizations_members_answer_404(client, world):
    client.force_login(world.jh_applicant)
    admin = membership(world.pj_applicant, world.pj_maker)
    assert client.post(remove_url(world.pj_maker, admin)).status_code == 404
    own = membership(world.jh_applicant, world.jh_maker)
    # A member of another organization through one's own organization's URL: not found either.
    assert client.post(remove_url(world.jh_maker, admin)).status_code == 404
    assert client.post(role_url(world.jh_maker, own), {"role": "org_member"}).status_code == 302


def test_member_actions_are_post_only(client, world):
    client.force_login(world.pj_applicant)
    admin = membership(world.pj_applicant, world.pj_maker)
    assert client.get(remove_url(world.pj_maker, admin)).status_code == 405
    assert client.get(add_url(world.pj_maker)).status_code == 405


def password_url(organization, member):
    return f"/organizations/{organization.pk}/members/{member.pk}/password/"


def test_an_admin_gives_a_member_who_forgot_a_new_one_time_password_and_signs_them_out(
    client, world
):
    """The member's old password stops working, their sessions end, the new password is shown
    once, and they must choose their own at the next sign-in."""
    from django.test import Client

    member_browser = Client()
    member_browser.force_login(world.pj_member)
    assert member_browser.get("/").status_code == 200
    client.force_login(world.pj_applicant)
    response = client.post(
        password_url(world.pj_maker, membership(world.pj_member, world.pj_maker))
    )
    assert response.status_code == 200
    password = response.context["password"]
    assert password in response.content.decode() and "一次性密码" in response.content.decode()
    world.pj_member.refresh_from_db()
    assert world.pj_member.check_password(password) and world.pj_member.must_change_password
    assert "/accounts/login/" in member_browser.get("/my/applications/").url
    assert "member_password_reset" in actions()
    # Shown once: nothing on the organization's page repeats it.
    page = client.get(f"/organizations/{world.pj_maker.pk}/").content.decode()
    assert password not in page


def test_an_admin_cannot_reset_their_own_or_a_password_used_elsewhere_in_the_portal(client, world):
    """Their own goes through the password page; a member who also works for a bureau (or another
    organization) is the operator's to reset, or an enterprise admin could take over the account."""
    from portal.models import Role

    client.force_login(world.pj_applicant)
    own = membership(world.pj_applicant, world.pj_maker)
    before = User.objects.get(pk=world.pj_applicant.pk).password
    assert client.post(password_url(world.pj_maker, own)).status_code == 302
    assert User.objects.get(pk=world.pj_applicant.pk).password == before
    with scopes_disabled():
        Membership.objects.create(user=world.pj_member, bureau=world.pj, role=Role.BUREAU_REVIEWER)
    before = User.objects.get(pk=world.pj_member.pk).password
    response = client.post(
        password_url(world.pj_maker, membership(world.pj_member, world.pj_maker)), follow=True
    )
    assert (
        "请联系门户运营方" in response.content.decode() or "门户运营" in response.content.decode()
    )
    assert User.objects.get(pk=world.pj_member.pk).password == before
    # Members and bureau staff may not reset anyone; another organization's member is not found.
    client.force_login(world.pj_member)
    assert client.post(password_url(world.pj_maker, own)).status_code == 403
    client.force_login(world.jh_applicant)
    assert client.post(password_url(world.pj_maker, own)).status_code == 404


# --- the expert pool ---------------------------------------------------------------------------------
def pool(bureau):
    with scopes_disabled():
        return set(
            Membership.objects.filter(bureau=bureau, role=Role.EXPERT).values_list(
                "user__username", flat=True
            )
        )


def test_bureau_staff_add_a_new_expert_with_an_employer(client, world):
    client.force_login(world.jm_manager)
    response = client.get("/experts/")
    assert response.status_code == 200 and response.context["can_keep"]
    response = client.post(
        "/experts/add/",
        {
            "bureau": world.jm.pk,
            "username": "expert_new",
            "full_name": "新专家",
            "email": "new@example.cn",
            "employer_name": "江门职业技术学院",
            "employer_uscc": with_check_digit("12440700MB0000001"),
        },
    )
    assert response.status_code == 200 and response.context["password"]
    assert "expert_new" in pool(world.jm)
    with scopes_disabled():
        assert (
            ExpertProfile.objects.get(user__username="expert_new").employer_name
            == "江门职业技术学院"
        )
    assert "expert_added" in actions()


def test_an_existing_account_joins_the_pool_once_and_is_removed(client, world):
    client.force_login(world.jm_manager)
    User.objects.filter(pk=world.pj_member.pk).update(email="liu@example.cn")
    response = client.post("/experts/add/", {"bureau": world.jm.pk, "identifier": "liu@example.cn"})
    assert response.status_code == 302 and "pj_member" in pool(world.jm)
    client.post("/experts/add/", {"bureau": world.jm.pk, "identifier": "pj_member"})
    with scopes_disabled():
        expert = Membership.objects.get(user=world.pj_member, bureau=world.jm, role=Role.EXPERT)
    assert client.post(f"/experts/{expert.pk}/remove/").status_code == 302
    assert "pj_member" not in pool(world.jm)
    assert User.objects.get(pk=world.pj_member.pk).is_active  # the account stays
    assert "expert_removed" in actions()


def test_a_bad_employer_code_is_refused_with_nothing_saved(client, world):
    client.force_login(world.jm_manager)
    response = client.post(
        "/experts/add/",
        {
            "bureau": world.jm.pk,
            "username": "expert_bad",
            "full_name": "x",
            "phone": "1",
            "employer_uscc": "123",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="expert_bad").exists()


def test_applicants_may_not_keep_a_pool_and_foreign_bureaus_are_not_found(client, world):
    with scopes_disabled():
        expert = Membership.objects.filter(role=Role.EXPERT, bureau=world.jm).first()
    assert expert is not None
    client.force_login(world.pj_applicant)
    assert client.get("/experts/").status_code == 403
    assert (
        client.post("/experts/add/", {"bureau": world.jm.pk, "identifier": "pj_member"}).status_code
        == 403
    )
    assert client.post(f"/experts/{expert.pk}/remove/").status_code == 404
    client.force_login(world.gz_manager)
    assert (
        client.post("/experts/add/", {"bureau": world.jm.pk, "identifier": "pj_member"}).status_code
        == 404
    )
    assert client.post(f"/experts/{expert.pk}/remove/").status_code == 404
    # A reviewer of the bureau uses the pool but does not keep it.
    client.force_login(world.jm_reviewer)
    assert not client.get("/experts/").context["can_keep"]
    assert client.post(f"/experts/{expert.pk}/remove/").status_code == 403
    assert expert.user.username in pool(world.jm)


def test_the_pool_page_queries_do_not_grow_with_its_experts(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.jm_manager)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/experts/").status_code == 200
    for number in range(5):
        client.post(
            "/experts/add/",
            {
                "bureau": world.jm.pk,
                "username": f"expert_{number}",
                "full_name": "x",
                "phone": "1",
                "employer_name": "e",
            },
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get("/experts/")
    assert len(response.context["page"]) >= 5
    assert len(many) == len(few)


def test_a_member_action_without_its_csrf_token_is_refused(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.pj_applicant)
    member = membership(world.pj_member, world.pj_maker)
    assert client.post(remove_url(world.pj_maker, member)).status_code == 403
    assert membership(world.pj_member, world.pj_maker)
