"""Every URL pattern × every persona against a foreign tenant's objects (DESIGN.md §3).

A later issue that adds a URL with a new object kwarg must register it in OBJECT_KWARGS, or
this test fails and names the kwarg. A foreign object answers 404 exactly like a missing one.
"""

from collections.abc import Callable, Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

# kwarg name -> the value naming the foreign tenant's object of that kind
OBJECT_KWARGS: dict[str, Callable[[dict], object]] = {
    "organization_pk": lambda foreign: foreign["organization"].pk,
    "bureau_pk": lambda foreign: foreign["bureau"].pk,
    "call_pk": lambda foreign: foreign["draft_call"].pk,  # published calls are public by design
    "application_pk": lambda foreign: foreign["application"].pk,
    "attachment_pk": lambda foreign: foreign["attachment"].pk,
    "template_pk": lambda foreign: foreign["template"].pk,
    "section_key": lambda foreign: "basic_info",  # not an object: the application makes it foreign
    "deadline_pk": lambda foreign: foreign["deadline"].pk,
    "notification_pk": lambda foreign: foreign["notification"].pk,
    "round_pk": lambda foreign: foreign["round"].pk,
    "sheet_pk": lambda foreign: foreign["sheet"].pk,
    "assignment_pk": lambda foreign: foreign["assignment"].pk,
    "publicity_pk": lambda foreign: (
        foreign["publicity"].pk
    ),  # a draft: published notices are public
    "bundle_pk": lambda foreign: foreign["bundle"].pk,
    "enterprise_pk": lambda foreign: foreign["enterprise"].pk,
    "alliance_pk": lambda foreign: foreign["alliance"].pk,
    "programme_pk": lambda foreign: foreign["programme"].pk,
    "request_pk": lambda foreign: foreign["enrolment_request"].pk,
    "list_pk": lambda foreign: foreign["demand_list"].pk,
    "change_pk": lambda foreign: foreign["alliance_change"].pk,
    "material": lambda foreign: "licence",  # not an object: the change makes it foreign
    "part_key": lambda foreign: "basic",  # not an object: the enterprise makes it foreign
    "stage": lambda foreign: "before",
    "kind": lambda foreign: "self",
}

# persona -> which tenant is foreign to them (never visible)
FOREIGN = {
    "jm_admin": "guangzhou",
    "jm_manager": "guangzhou",
    "jm_reviewer": "guangzhou",
    "pj_manager": "jianghai",  # sibling county in the same city
    "jh_manager": "pengjiang",
    "gz_admin": "jiangmen",
    "gz_manager": "jiangmen",
    "gd_manager": "wujin",  # another province
    "js_manager": "guangzhou",
    "wj_manager": "jiangmen",
    "pj_applicant": "guangzhou",
    "pj_member": "jianghai",
    "jm_leader_admin": "wujin",
    "jh_applicant": "pengjiang",
    "gz_applicant": "jiangmen",
    "wj_applicant": "guangzhou",
    "expert_li": "guangzhou",
    "expert_chen": "guangzhou",
    None: "jiangmen",  # the anonymous public
}


def tenant_objects(bureau, organization) -> dict:
    """A tenant's bureau, organization, draft call, cloned template and a submitted application
    with an attachment."""
    from applications.models import Application, Attachment, CallTemplate
    from portal.scoping import scopes_disabled
    from tests.books import make_call

    draft_call = make_call(bureau, status="draft")
    call = make_call(bureau)
    with scopes_disabled():
        shipped = CallTemplate.objects.get(code="leading-unit-jiangmen-2025", version=1)
        template = CallTemplate.objects.create(
            code=f"walk-{bureau.pk}",
            version=1,
            kind="leading_unit",
            name="clone",
            definition=shipped.definition,
            owner_bureau=bureau,
        )
        application = Application.objects.create(
            call=call,
            organization=organization,
            status="submitted",
            created_by=call.applications.model._meta.apps.get_model(
                "portal", "User"
            ).objects.first(),
        )
        attachment = Attachment.objects.create(
            application=application,
            section="proofs",
            slot="licence",
            original_name="x.pdf",
            kind="pdf",
            file="attachments/none.pdf",
            size=1,
            sha256="0" * 64,
        )
    from portal.deadlines import deadline_set
    from portal.models import Notification, User

    deadline = deadline_set(
        kind="call_close", subject=call, due_at=call.closes_at, title=call.title, bureau=bureau
    )
    notification = Notification.objects.create(
        user=User.objects.get(username="operator"), kind="call_close", params={}
    )
    from evaluation.models import ExpertAssignment, Publicity, ReviewRound, Rubric, ScoreSheet

    operator = User.objects.get(username="operator")
    with scopes_disabled():
        rubric = Rubric.objects.get(code="leading-unit-rubric-2025")
        review_round = ReviewRound.objects.create(
            call=call,
            rubric=rubric,
            name="r",
            criteria=rubric.definition["criteria"],
            created_by=operator,
        )
        assignment = ExpertAssignment.objects.create(
            round=review_round, application=application, expert=operator, status="accepted"
        )
        sheet = ScoreSheet.objects.create(assignment=assignment, status="submitted")
        publicity = Publicity.objects.create(call=call, title="draft", created_by=operator)
        from django.contrib.contenttypes.models import ContentType
        from django.utils import timezone as tz

        from pilots.models import LeadingUnit, PilotEnterprise, TaskBook
        from pilots.services.records import file_start
        from portal.models import DocumentBundle

        unit = LeadingUnit.objects.create(
            organization=organization, bureau=bureau, kind="industry_chain", selected_at=tz.now()
        )
        enterprise = PilotEnterprise.objects.create(
            organization=organization,
            leading_unit=unit,
            bureau=bureau,
            sub_industry="x",
            scale="small",
            above_scale=True,
        )
        file_start(enterprise)
        from pilots.models import Alliance

        alliance = Alliance.objects.create(leading_unit=unit, bureau=bureau)
        from pilots.models import PilotProgramme

        programme = PilotProgramme.objects.create(
            name="p",
            bureau=bureau,
            approving_bureau=bureau,
            source_application=application,
            approved_at=tz.now(),
        )
        from pilots.models import DemandList, EnrolmentRequest

        demand_list = DemandList.objects.create(bureau=bureau, sub_industry="x")
        from pilots.models import AllianceChange

        alliance_change = AllianceChange.objects.create(
            alliance=alliance,
            kind="add",
            member_name="m",
            member_uscc="x",
            licence="alliance/none.pdf",
            filed_by=operator,
        )

        enrolment_request = EnrolmentRequest.objects.create(
            organization=organization,
            leading_unit=unit,
            sub_industry="x",
            scale="small",
            above_scale=True,
            created_by=operator,
        )
        TaskBook.objects.create(
            enterprise=enterprise,
            goals="g",
            performance_goals="p",
            content="c",
            starts_on="2025-09-01",
            ends_on="2026-09-30",
            budget_wan=10,
            obligations="o",
            created_by=operator,
            status="signing",
        )

        bundle = DocumentBundle.objects.create(
            kind="application_book",
            subject_type=ContentType.objects.get_for_model(application),
            subject_id=application.pk,
            source_hash="x",
            code=f"WALK-{application.pk:04d}-0000",
            status="done",
            file="bundles/none.pdf",
        )
    return {
        "bureau": bureau,
        "organization": organization,
        "draft_call": draft_call,
        "template": template,
        "application": application,
        "attachment": attachment,
        "deadline": deadline,
        "notification": notification,
        "round": review_round,
        "assignment": assignment,
        "sheet": sheet,
        "publicity": publicity,
        "bundle": bundle,
        "enterprise": enterprise,
        "alliance": alliance,
        "programme": programme,
        "enrolment_request": enrolment_request,
        "demand_list": demand_list,
        "alliance_change": alliance_change,
    }


def tenants(world) -> dict[str, Callable[[], dict]]:
    return {
        "jiangmen": lambda: tenant_objects(world.jm, world.jm_leader),
        "pengjiang": lambda: tenant_objects(world.pj, world.pj_maker),
        "jianghai": lambda: tenant_objects(world.jh, world.jh_maker),
        "guangzhou": lambda: tenant_objects(world.gz, world.gz_maker),
        "wujin": lambda: tenant_objects(world.wj, world.wj_maker),
    }


def walk(
    resolver: URLResolver | None = None, namespace: str = "", inherited: frozenset = frozenset()
) -> Iterator[tuple[str, frozenset]]:
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        kwargs = inherited | frozenset(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # operator-only; covered by test_the_admin_is_for_operators_only
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry, inner, kwargs)
        elif isinstance(entry, URLPattern):
            assert entry.name, (
                f"unnamed URL pattern {entry.pattern}: name it so the walk can reach it"
            )
            yield f"{namespace}{entry.name}", kwargs


ALL_PATTERNS = sorted(set(walk()))
OBJECT_PATTERNS = [(name, kw) for name, kw in ALL_PATTERNS if kw]
PLAIN_PATTERNS = [name for name, kw in ALL_PATTERNS if not kw]


def test_every_object_kwarg_has_a_foreign_object_factory():
    unknown = {k for _name, kw in OBJECT_PATTERNS for k in kw} - set(OBJECT_KWARGS)
    assert unknown == set(), f"register these URL kwargs in OBJECT_KWARGS: {sorted(unknown)}"
    assert OBJECT_PATTERNS, "the walk found no object URLs"


def client_for(client, world, persona):
    if persona is not None:
        client.force_login(world.users[persona])
    return client


@pytest.mark.parametrize("persona", list(FOREIGN))
def test_foreign_objects_answer_404_for_every_persona(client, world, persona):
    client = client_for(client, world, persona)
    foreign = tenants(world)[FOREIGN[persona]]()
    failures = []
    for name, kwargs in OBJECT_PATTERNS:
        url = reverse(name, kwargs={k: OBJECT_KWARGS[k](foreign) for k in kwargs})
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            if persona is None:
                ok = response.status_code in (302, 401, 403, 404) and (
                    response.status_code != 302 or "/accounts/login/" in response["Location"]
                )
            else:
                ok = response.status_code in (404, 405)
            if not ok:
                failures.append(f"{method.upper()} {url}: {response.status_code}")
    assert failures == []


@pytest.mark.parametrize("persona", list(FOREIGN) + ["operator"])
def test_no_page_fails_for_any_persona(client, world, persona):
    client = client_for(client, world, persona)
    failures = []
    for name in PLAIN_PATTERNS:
        url = reverse(name)
        response = client.get(url)
        if response.status_code not in (200, 302, 403, 404, 405):
            failures.append(f"GET {url}: {response.status_code}")
    assert failures == []


@pytest.mark.parametrize("value", ["0", "999999999", "-1", "abc", "1.5", "%00", "9" * 40])
def test_malformed_and_missing_ids_are_404_not_500(client, world, value):
    client.force_login(world.jm_manager)
    for path in (
        f"/organizations/{value}/",
        f"/bureaus/{value}/",
        f"/api/v1/organizations/{value}/",
    ):
        assert client.get(path).status_code == 404, path


def test_own_objects_are_reachable_so_the_404s_mean_something(client, world):
    client.force_login(world.jm_manager)
    assert (
        client.get(
            reverse("organization-detail", kwargs={"organization_pk": world.pj_maker.pk})
        ).status_code
        == 200
    )
    assert (
        client.get(reverse("bureau-detail", kwargs={"bureau_pk": world.pj.pk})).status_code == 200
    )
    assert client.get(f"/api/v1/organizations/{world.pj_maker.pk}/").status_code == 200


def test_the_admin_is_for_operators_only(client, world):
    client.force_login(world.jm_admin)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(world.operator)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/portal/organization/").status_code == 200
    assert client.get(f"/admin/portal/organization/{world.gz_maker.pk}/change/").status_code == 200
    for path in (
        "/admin/applications/call/",
        "/admin/applications/application/",
        "/admin/applications/calltemplate/",
    ):
        assert client.get(path).status_code == 200, path
