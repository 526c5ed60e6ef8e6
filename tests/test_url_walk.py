"""Every URL pattern × every persona, against a foreign tenant's objects and against its own
(DESIGN.md §3).

Negative: a foreign object answers 404 exactly like a missing one. A URL with a new object kwarg
must register it in OBJECT_KWARGS, or the walk fails and names the kwarg.

Positive: OWN lists, for every URL with an object kwarg, the personas that use it on their own
objects (``own_objects``: the demo pilot and a Jiangmen call under review) and the answer they
get: 200 for a page or a download, the action's redirect for a POST. A URL missing from OWN fails
the walk, so a new URL says who may use it. Together the two directions show the 404s come from
visibility, not from a broken page.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

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
    "unit_pk": lambda foreign: foreign["unit"].pk,
    "report_pk": lambda foreign: foreign["report"].pk,
    "sanction_pk": lambda foreign: foreign["sanction"].pk,
    "job_pk": lambda foreign: foreign["export_job"].pk,
    "membership_pk": lambda foreign: foreign["membership"].pk,
    "expert_pk": lambda foreign: foreign["expert_membership"].pk,
    # The API's resources (issue 13)
    "file_section_pk": lambda foreign: foreign["file_section"].pk,
    "assessment_pk": lambda foreign: foreign["assessment"].pk,
    "contract_pk": lambda foreign: foreign["contract"].pk,
    "task_book_pk": lambda foreign: foreign["task_book"].pk,
    "fund_use_pk": lambda foreign: foreign["fund_use"].pk,
    "programme_evaluation_pk": lambda foreign: foreign["programme_evaluation"].pk,
    "evaluation_pk": lambda foreign: foreign["evaluation"].pk,
    "token_pk": lambda foreign: foreign["token"].pk,  # another person's API token
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
        task_book = TaskBook.objects.create(
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
        from pilots.models import (
            Assessment,
            Contract,
            EnterpriseFileSection,
            FundUse,
            ProgrammeEvaluation,
        )

        file_section = EnterpriseFileSection.objects.filter(enterprise=enterprise).first()
        assessment = Assessment.objects.create(
            enterprise=enterprise, stage="before", kind="self", assessed_by=operator
        )
        contract = Contract.objects.create(
            enterprise=enterprise,
            duties="d",
            measures="m",
            targets="t",
            starts_on="2025-09-01",
            ends_on="2026-09-30",
            updated_by=operator,
        )
        fund_use = FundUse.objects.create(
            programme=programme,
            category="transformation",
            amount_wan=1,
            description="d",
            spent_on="2025-10-01",
            recorded_by=operator,
        )
        programme_evaluation = ProgrammeEvaluation.objects.create(
            programme=programme,
            kind="self",
            outcome="pass",
            findings="f",
            evaluated_by=operator,
            evaluated_at=tz.now(),
        )

        from evaluation.models import IndicatorSet, QuarterlyEvaluation, QuarterlyReport, Sanction

        report = QuarterlyReport.objects.create(
            leading_unit=unit,
            year=2025,
            quarter=3,
            duties_done="d",
            evidence="performance/none.pdf",
            submitted_by=operator,
        )
        sanction = Sanction.objects.create(
            leading_unit=unit,
            kind="criticism",
            grounds="4.2.2",
            reason="r",
            status="ordered",
            evidence="sanctions/none.pdf",
        )
        evaluation = QuarterlyEvaluation.objects.create(
            leading_unit=unit,
            year=2025,
            quarter=3,
            indicator_set=IndicatorSet.objects.first(),
            report=report,
            outcome="passed",
            reason="r",
            evaluated_by=operator,
        )

        from portal.models import ExportJob

        export_job = ExportJob.objects.create(
            user=User.objects.create_user(username=f"walk-exporter-{bureau.pk}"),
            identifier="organizations",
            status="done",
            file="exports/none.xlsx",
        )
        from portal.models import Membership

        membership = Membership.objects.create(
            user=User.objects.create_user(username=f"walk-member-{bureau.pk}"),
            role="org_member",
            organization=organization,
        )
        expert_membership = Membership.objects.create(
            user=User.objects.create_user(username=f"walk-expert-{bureau.pk}"),
            role="expert",
            bureau=bureau,
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
    from portal.tokens import token_create

    token, _raw = token_create(
        user=export_job.user, name="walk", scope="read_write", expires_in_days=30
    )
    return {
        "file_section": file_section,
        "assessment": assessment,
        "contract": contract,
        "task_book": task_book,
        "fund_use": fund_use,
        "programme_evaluation": programme_evaluation,
        "evaluation": evaluation,
        "token": token,
        "membership": membership,
        "expert_membership": expert_membership,
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
        "unit": unit,
        "report": report,
        "sanction": sanction,
        "export_job": export_job,
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
                # 405: a public API resource (calls) has no POST, for anyone.
                ok = response.status_code in (302, 401, 403, 404, 405) and (
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
        # 401: the API asks an anonymous caller for a token instead of redirecting to the login.
        if response.status_code not in (200, 302, 401, 403, 404, 405):
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


# --- the positive direction: every persona reaches its own objects ------------------------------
def own_objects(world) -> dict:
    """Jiangmen's world as its parties see it: the demo pilot (jm_leader_admin's leading unit
    serving Pengjiang's and Jianghai's enterprises, with Pengjiang's task book, contract,
    assessment and acceptance material), a call with a draft and a submitted book under review,
    a draft and a published notice, and the documents and files behind the downloads."""
    from datetime import date, timedelta

    from django.contrib.contenttypes.models import ContentType
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from applications.models import Application, Attachment, CallTemplate
    from applications.services import application_start
    from demo.world import build_demo_pilot
    from evaluation.models import (
        ExpertAssignment,
        Objection,
        Publicity,
        QuarterlyReport,
        ReviewRound,
        Rubric,
        Sanction,
        ScoreSheet,
    )
    from pilots.models import (
        Alliance,
        AllianceChange,
        Assessment,
        Contract,
        DemandList,
        EnrolmentRequest,
        PilotEnterprise,
        PilotProgramme,
        TaskBook,
    )
    from portal.deadlines import deadline_set
    from portal.models import DocumentBundle, ExportJob, Notification
    from portal.scoping import scopes_disabled
    from portal.visibility import Visibility
    from tests.books import make_call, pdf_bytes

    def pdf(name: str) -> ContentFile:
        return ContentFile(pdf_bytes(), name=name)

    now = timezone.now()
    call = make_call(world.jm)
    draft_call = make_call(world.jm, status="draft")
    benchmark_call = make_call(
        world.jm, code="benchmark-jiangmen-2023", kind="benchmark", requires_recommendation=True
    )
    with scopes_disabled():
        build_demo_pilot(world)
        shipped = CallTemplate.objects.get(code="leading-unit-jiangmen-2025", version=1)
        template = CallTemplate.objects.create(
            code="walk-own",
            version=1,
            kind="leading_unit",
            name="clone",
            owner_bureau=world.jm,
            definition=shipped.definition,
        )
        draft, submitted, recommendable = (
            application_start(
                visibility=Visibility.for_user(actor),
                call=on_call,
                organization=actor_organization,
                actor=actor,
            )
            for on_call, actor, actor_organization in (
                (call, world.pj_applicant, world.pj_maker),
                (call, world.jm_leader_admin, world.jm_leader),
                (benchmark_call, world.pj_applicant, world.pj_maker),
            )
        )
        Application.objects.filter(pk__in=[submitted.pk, recommendable.pk]).update(
            status="submitted", submitted_at=now
        )
        attachments = {
            application: Attachment.objects.create(
                application=application,
                section="proofs",
                slot="licence",
                original_name="licence.pdf",
                kind="pdf",
                file=pdf("licence.pdf"),
                size=1,
                sha256="0" * 64,
            )
            for application in (draft, submitted)
        }
        rubric = Rubric.objects.get(code="leading-unit-rubric-2025")
        review_round = ReviewRound.objects.create(
            call=call,
            rubric=rubric,
            name="第一轮",
            criteria=rubric.definition["criteria"],
            created_by=world.jm_manager,
        )
        assignment = ExpertAssignment.objects.create(
            round=review_round, application=submitted, expert=world.expert_li, status="accepted"
        )
        sheet = ScoreSheet.objects.create(assignment=assignment)
        publicity = Publicity.objects.create(
            call=call, title="拟入选名单", created_by=world.jm_manager
        )
        notice = Publicity.objects.create(
            call=call,
            title="公示",
            status="published",
            starts_at=now,
            ends_at=now + timedelta(days=5),
            created_by=world.jm_manager,
        )
        objection = Objection.objects.create(publicity=notice, name="甲", contact="1", text="异议")
        book_pdf = DocumentBundle.objects.create(
            kind="application_book",
            subject_type=ContentType.objects.get_for_model(Application),
            subject_id=submitted.pk,
            source_hash="x",
            code="WALK-OWN-0001",
            status="done",
            file=pdf("book.pdf"),
        )

        enterprise = PilotEnterprise.objects.get(organization=world.pj_maker)
        enterprise.acceptance_material = pdf("acceptance.pdf")
        enterprise.save(update_fields=["acceptance_material"])
        unit = enterprise.leading_unit
        task_book = TaskBook.objects.create(
            enterprise=enterprise,
            goals="g",
            performance_goals="p",
            content="c",
            starts_on=date(2025, 9, 1),
            ends_on=date(2026, 9, 30),
            budget_wan=10,
            obligations="o",
            created_by=world.jm_leader_admin,
            status="signing",
        )
        contract = Contract.objects.create(
            enterprise=enterprise,
            duties="d",
            measures="m",
            targets="t",
            starts_on=date(2025, 9, 1),
            ends_on=date(2026, 9, 30),
            updated_by=world.jm_leader_admin,
        )
        assessment = Assessment.objects.create(
            enterprise=enterprise, stage="before", kind="self", assessed_by=world.pj_applicant
        )
        task_book_pdf = DocumentBundle.objects.create(
            kind="task_book",
            subject_type=ContentType.objects.get_for_model(PilotEnterprise),
            subject_id=enterprise.pk,
            organization=world.pj_maker,
            bureau=world.pj,
            source_hash="x",
            code="WALK-OWN-0002",
            status="done",
            file=pdf("task-book.pdf"),
        )
        alliance = Alliance.objects.get(leading_unit=unit)
        alliance_change = AllianceChange.objects.create(
            alliance=alliance,
            kind="add",
            member_name="江门市集成服务有限公司",
            member_uscc="x",
            licence=pdf("licence.pdf"),
            filed_by=world.jm_leader_admin,
        )
        enrolment_request = EnrolmentRequest.objects.create(
            organization=world.jm_institute,
            leading_unit=unit,
            sub_industry="五金制品及零配件",
            scale="small",
            above_scale=True,
            created_by=world.jm_admin,
        )
        programme = PilotProgramme.objects.create(
            name="江门市中小企业数字化转型城市试点",
            bureau=world.jm,
            approving_bureau=world.gd,
            source_application=submitted,
            approved_at=now,
        )
        demand_list = DemandList.objects.get(bureau=world.pj)
        jh_enterprise = PilotEnterprise.objects.get(organization=world.jh_maker)
        # The demo world's evaluated quarter brings the report; a criticism with its evidence.
        report = QuarterlyReport.objects.get(leading_unit=unit)
        sanction = Sanction.objects.create(
            leading_unit=unit,
            kind="criticism",
            grounds="4.2.2",
            reason="资料报送不完整",
            status="ordered",
            evidence=pdf("evidence.pdf"),
        )
    deadline = deadline_set(
        kind="call_close", subject=call, due_at=call.closes_at, title=call.title, bureau=world.jm
    )
    notifications = {
        user.username: Notification.objects.create(user=user, kind="call_close", params={})
        for user in world.users.values()
    }
    with scopes_disabled():
        export_job = ExportJob.objects.create(
            user=world.jm_manager,
            identifier="organizations",
            status="done",
            rows_written=1,
            file=pdf("export.xlsx"),
        )
    with scopes_disabled():
        from evaluation.models import QuarterlyEvaluation
        from pilots.models import EnterpriseFileSection, FundUse, ProgrammeEvaluation
        from portal.tokens import token_create

        # The demo programme's fund uses and evaluations, the unit's evaluated quarter.
        file_section = EnterpriseFileSection.objects.filter(enterprise=enterprise).first()
        fund_use = FundUse.objects.filter(programme__bureau=world.jm).first()
        programme_evaluation = ProgrammeEvaluation.objects.filter(
            programme__bureau=world.jm
        ).first()
        evaluation = QuarterlyEvaluation.objects.filter(leading_unit=unit).first()
        token, _raw = token_create(
            user=world.jm_manager, name="walk", scope="read", expires_in_days=30
        )
    with scopes_disabled():
        from portal.models import Membership

        member = Membership.objects.get(user=world.pj_member, organization=world.pj_maker)
        expert = Membership.objects.filter(role="expert", bureau=world.jm).first()
    return {
        "task_book": task_book,
        "contract": contract,
        "assessment": assessment,
        "file_section": file_section,
        "fund_use": fund_use,
        "programme_evaluation": programme_evaluation,
        "evaluation": evaluation,
        "token": token,
        "member": member,
        "expert": expert,
        "world": world,
        "call": call,
        "draft_call": draft_call,
        "benchmark_call": benchmark_call,
        "template": template,
        "draft": draft,
        "submitted": submitted,
        "recommendable": recommendable,
        "draft_attachment": attachments[draft],
        "submitted_attachment": attachments[submitted],
        "round": review_round,
        "assignment": assignment,
        "sheet": sheet,
        "publicity": publicity,
        "notice": notice,
        "objection": objection,
        "book_pdf": book_pdf,
        "task_book_pdf": task_book_pdf,
        "enterprise": enterprise,
        "jh_enterprise": jh_enterprise,
        "rubric": rubric,
        "alliance": alliance,
        "alliance_change": alliance_change,
        "enrolment_request": enrolment_request,
        "programme": programme,
        "demand_list": demand_list,
        "deadline": deadline,
        "notifications": notifications,
        "unit": unit,
        "report": report,
        "sanction": sanction,
        "export_job": export_job,
    }


@dataclass(frozen=True)
class Own:
    """One URL as a party to its object uses it: GET pages answer 200; an action is POSTed
    (empty unless ``data``) and answers with its redirect, whether or not the input was valid;
    what matters is that the persona reaches the object (not 404) and may act (not 403)."""

    url: str
    persona: str | None
    kwargs: Callable[[dict], dict]
    method: str = "get"
    status: int = 200
    data: Callable[[dict], dict] | None = None
    xfail: str = ""  # a known gap, fixed elsewhere: the case must fail until the fix lands
    on: str = ""  # which object, where a persona uses one URL on two

    def __str__(self) -> str:
        return "-".join(part for part in (self.url, self.persona or "public", self.on) if part)


def _pk(kwarg: str, key: str) -> Callable[[dict], dict]:
    return lambda own: {kwarg: own[key].pk}


def _org(key: str) -> Callable[[dict], dict]:
    return lambda own: {"organization_pk": getattr(own["world"], key).pk}


def _bureau(key: str) -> Callable[[dict], dict]:
    return lambda own: {"bureau_pk": getattr(own["world"], key).pk}


ENTERPRISE = _pk("enterprise_pk", "enterprise")
APPLICATION_PARTIES = ("jm_leader_admin", "jm_manager", "expert_li")
PILOT_PARTIES = ("pj_applicant", "jm_leader_admin", "pj_manager")  # enterprise, its unit, county

OWN: list[Own] = [
    # --- the portal ---
    *(
        Own("organization-detail", persona, _org(org))
        for persona, org in (
            ("pj_applicant", "pj_maker"),
            ("jm_leader_admin", "jm_leader"),
            ("jm_manager", "pj_maker"),
        )
    ),
    Own("organization-edit", "pj_applicant", _org("pj_maker")),
    # An organization's admin manages its members; a bureau's manager keeps its expert pool.
    Own("organization-member-add", "pj_applicant", _org("pj_maker"), "post", 302),
    *(
        Own(
            url,
            "pj_applicant",
            lambda own: {
                "organization_pk": own["world"].pj_maker.pk,
                "membership_pk": own["member"].pk,
            },
            "post",
            302,
            data=lambda own: {"role": "org_admin"},
        )
        for url in ("organization-member-role", "organization-member-remove")
    ),
    # A new one-time password for a member is shown on the answer itself.
    Own(
        "organization-member-password",
        "pj_applicant",
        lambda own: {
            "organization_pk": own["world"].pj_maker.pk,
            "membership_pk": own["member"].pk,
        },
        "post",
        200,
    ),
    Own("expert-remove", "jm_manager", _pk("expert_pk", "expert"), "post", 302),
    *(
        Own(url, "jm_manager", _pk("job_pk", "export_job"))
        for url in ("export-job", "export-job-status", "export-job-download")
    ),
    Own("organization-seal", "pj_applicant", _org("pj_maker"), "post", 302),
    Own("bureau-seal", "jm_admin", _bureau("jm"), "post", 302),
    Own("api-organization-detail", "pj_applicant", _org("pj_maker")),
    *(
        Own("bureau-detail", persona, _bureau(bureau))
        for persona, bureau in (("jm_manager", "jm"), ("gd_manager", "jm"), ("pj_manager", "pj"))
    ),
    *(
        Own(url, persona, _pk("bundle_pk", "book_pdf"), on="book")
        for url in ("bundle-status", "bundle-download")
        for persona in ("jm_leader_admin", "jm_manager")
    ),
    *(
        Own(url, persona, _pk("bundle_pk", "task_book_pdf"), on="task_book")
        for url in ("bundle-status", "bundle-download")
        for persona in ("pj_applicant", "pj_manager")
    ),
    # The leading unit is a party to the task book it signs (002 附3), so it downloads the PDF.
    Own(
        "bundle-download",
        "jm_leader_admin",
        _pk("bundle_pk", "task_book_pdf"),
        on="task_book",
    ),
    *(
        Own(
            "inbox-open",
            persona,
            lambda own, persona=persona: {"notification_pk": own["notifications"][persona].pk},
            status=302,
        )
        for persona in ("pj_applicant", "jm_leader_admin", "jm_manager", "expert_li")
    ),
    *(
        Own("deadline-detail", persona, _pk("deadline_pk", "deadline"))
        for persona in ("jm_manager", "gd_manager")
    ),
    # --- calls and application books ---
    Own("call-detail", None, _pk("call_pk", "call")),
    Own("call-detail", "pj_applicant", _pk("call_pk", "call")),
    Own("call-detail", "jm_manager", _pk("call_pk", "draft_call")),
    Own("call-edit", "jm_manager", _pk("call_pk", "draft_call")),
    Own("call-publish", "jm_manager", _pk("call_pk", "draft_call"), "post", 302),
    Own("call-close", "jm_manager", _pk("call_pk", "call"), "post", 302),
    Own(
        "application-start",
        "jh_applicant",
        _pk("call_pk", "call"),
        "post",
        302,
        data=lambda own: {"organization": own["world"].jh_maker.pk},
    ),
    Own("call-recommendations", "pj_manager", _pk("call_pk", "benchmark_call")),
    Own("template-detail", "jm_admin", _pk("template_pk", "template")),
    Own("template-edit", "jm_admin", _pk("template_pk", "template")),
    Own("template-clone", "jm_admin", _pk("template_pk", "template"), "post", 302),
    Own("application-detail", "pj_applicant", _pk("application_pk", "draft")),
    Own("application-detail", "pj_manager", _pk("application_pk", "recommendable")),
    *(
        Own(url, persona, _pk("application_pk", "submitted"))
        for url in ("application-detail", "application-book", "application-docx")
        for persona in APPLICATION_PARTIES
    ),
    Own(
        "application-section",
        "pj_applicant",
        lambda own: {"application_pk": own["draft"].pk, "section_key": "basic_info"},
    ),
    Own(
        "application-section",
        "jm_leader_admin",
        lambda own: {"application_pk": own["submitted"].pk, "section_key": "basic_info"},
    ),
    Own("attachment-upload", "pj_applicant", _pk("application_pk", "draft"), "post", 302),
    Own(
        "attachment-download",
        "pj_applicant",
        lambda own: {
            "application_pk": own["draft"].pk,
            "attachment_pk": own["draft_attachment"].pk,
        },
    ),
    *(
        Own(
            "attachment-download",
            persona,
            lambda own: {
                "application_pk": own["submitted"].pk,
                "attachment_pk": own["submitted_attachment"].pk,
            },
        )
        for persona in APPLICATION_PARTIES
    ),
    Own(
        "attachment-delete",
        "pj_applicant",
        lambda own: {
            "application_pk": own["draft"].pk,
            "attachment_pk": own["draft_attachment"].pk,
        },
        "post",
        302,
    ),
    Own("application-submit", "pj_applicant", _pk("application_pk", "draft"), "post", 302),
    Own("application-withdraw", "jm_leader_admin", _pk("application_pk", "submitted"), "post", 302),
    Own("application-correction", "jm_manager", _pk("application_pk", "submitted"), "post", 302),
    Own("application-recommend", "pj_manager", _pk("application_pk", "recommendable"), "post", 302),
    Own("application-bundle", "jm_leader_admin", _pk("application_pk", "submitted"), "post", 302),
    # --- review, ranking and publicity ---
    Own("review-desk", "jm_manager", _pk("call_pk", "call")),
    Own(
        "formal-pass",
        "jm_manager",
        _pk("call_pk", "call"),
        "post",
        302,
        data=lambda own: {"application": own["submitted"].pk},
    ),
    Own(
        "round-create",
        "jm_manager",
        _pk("call_pk", "call"),
        "post",
        302,
        data=lambda own: {"rubric": own["rubric"].pk, "name": "第二轮"},
    ),
    Own("publicity-create", "jm_manager", _pk("call_pk", "call"), "post", 302),
    *(
        Own(url, "jm_manager", _pk("round_pk", "round"))
        for url in ("round-detail", "round-ranking", "round-ranking-export")
    ),
    *(
        Own(url, "jm_manager", _pk("round_pk", "round"), "post", 302)
        for url in ("round-fill", "round-close", "round-propose", "round-ranking-pdf")
    ),
    Own(
        "round-assign",
        "jm_manager",
        _pk("round_pk", "round"),
        "post",
        302,
        data=lambda own: {
            "application": own["submitted"].pk,
            "expert": own["world"].expert_wang.pk,
        },
    ),
    Own(
        "sheet-detail",
        "jm_manager",
        lambda own: {"round_pk": own["round"].pk, "sheet_pk": own["sheet"].pk},
    ),
    Own("review-sheet", "expert_li", _pk("assignment_pk", "assignment")),
    Own("publicity-detail", "jm_manager", _pk("publicity_pk", "publicity")),
    Own("publicity-detail", None, _pk("publicity_pk", "notice")),
    Own("publicity-detail", "pj_applicant", _pk("publicity_pk", "notice")),
    Own("publicity-publish", "jm_manager", _pk("publicity_pk", "publicity"), "post", 302),
    Own("publicity-finalise", "jm_manager", _pk("publicity_pk", "notice"), "post", 302),
    Own(
        "publicity-objection",
        "jm_manager",
        _pk("publicity_pk", "notice"),
        "post",
        302,
        data=lambda own: {"objection": own["objection"].pk, "uphold": "no", "note": "查无实据"},
    ),
    Own("publicity-pdf", "jm_manager", _pk("publicity_pk", "notice"), "post", 302),
    # --- pilot execution: the enterprise, the leading unit serving it, its county ---
    *(
        Own("enterprise-detail", persona, ENTERPRISE)
        for persona in (*PILOT_PARTIES, "jm_manager", "gd_manager")
    ),
    *(
        Own(url, persona, ENTERPRISE)
        for url in ("contract", "acceptance-material")
        for persona in PILOT_PARTIES
    ),
    # The task book is written once (Jianghai's enterprise has none yet), then signed.
    *(
        Own("task-book", persona, _pk("enterprise_pk", "jh_enterprise"))
        for persona in ("jh_applicant", "jm_leader_admin", "jh_manager")
    ),
    *(
        Own(
            "task-book-sign",
            persona,
            ENTERPRISE,
            "post",
            302,
            data=lambda own, p=party: {"party": p},
        )
        for persona, party in (
            ("pj_applicant", "enterprise"),
            ("jm_leader_admin", "provider"),
            ("pj_manager", "bureau"),
        )
    ),
    *(
        Own(
            "enterprise-file-part",
            persona,
            lambda own: {"enterprise_pk": own["enterprise"].pk, "part_key": "basic"},
        )
        for persona in PILOT_PARTIES
    ),
    *(
        Own(
            "assessment-form",
            persona,
            lambda own, kind=kind: {
                "enterprise_pk": own["enterprise"].pk,
                "stage": "before",
                "kind": kind,
            },
        )
        for persona, kind in (
            ("pj_applicant", "self"),
            ("jm_leader_admin", "self"),
            ("pj_manager", "onsite"),
        )
    ),
    *(
        Own(url, persona, ENTERPRISE, "post", 302)
        for url in ("task-book-pdf", "enterprise-file-pdf")
        for persona in PILOT_PARTIES
    ),
    Own("enterprise-complete", "jm_leader_admin", ENTERPRISE, "post", 302),
    Own("acceptance-apply", "pj_applicant", ENTERPRISE, "post", 302),
    Own("acceptance-decide", "pj_manager", ENTERPRISE, "post", 302),
    *(
        Own("alliance-detail", persona, _pk("alliance_pk", "alliance"))
        for persona in ("jm_leader_admin", "jm_manager")
    ),
    *(
        Own(
            "alliance-change-material",
            persona,
            lambda own: {"change_pk": own["alliance_change"].pk, "material": "licence"},
        )
        for persona in ("jm_leader_admin", "jm_manager")
    ),
    *(
        Own("demand-list", persona, _pk("list_pk", "demand_list"))
        for persona in ("pj_manager", "jm_leader_admin", "pj_applicant")
    ),
    Own(
        "enrolment-request-decide",
        "jm_leader_admin",
        _pk("request_pk", "enrolment_request"),
        "post",
        302,
    ),
    *(
        Own(url, persona, _pk("programme_pk", "programme"))
        for url in (
            "programme-detail",
            "programme-evaluations",
            "programme-funds",
            "programme-fund-split",
            "programme-fund-uses-export",
        )
        for persona in ("jm_manager", "gd_manager")  # the running and the approving bureau
    ),
    # A use is recorded by the running bureau; a tranche released by the approving one (003 §四).
    Own(
        "programme-funds",
        "gd_manager",
        _pk("programme_pk", "programme"),
        "post",
        302,
        data=lambda own: {"action": "release"},
        on="release",
    ),
    Own(
        "programme-evaluations",
        "jm_manager",
        _pk("programme_pk", "programme"),
        "post",
        302,
        data=lambda own: {"action": "change", "kind": "plan", "summary": "调整细分行业"},
        on="change",
    ),
    # --- leading units' performance (004 §3, §4): the bureau's desk and the unit's own page ---
    *(
        Own("performance-unit", persona, _pk("unit_pk", "unit"))
        for persona in ("jm_manager", "jm_leader_admin", "gd_manager")
    ),
    Own(
        "performance-unit",
        "jm_manager",
        _pk("unit_pk", "unit"),
        "post",
        302,
        on="task-book",
        data=lambda own: {
            "action": "task_book",
            "sub_industry": "五金制品及零配件",
            "enterprises": "30",
            "level_two": "24",
        },
    ),
    Own("performance-evaluate", "jm_manager", _pk("unit_pk", "unit")),
    # A unit from outside the city moves to its local legal entity (000 §四(八)).
    *(
        Own("unit-relocation", persona, _pk("unit_pk", "unit"))
        for persona in ("jm_manager", "jm_leader_admin", "gd_manager")
    ),
    *(
        Own(url, persona, _pk(kwarg, key))
        for url, kwarg, key in (
            ("performance-report-evidence", "report_pk", "report"),
            ("performance-sanction-evidence", "sanction_pk", "sanction"),
        )
        for persona in ("jm_manager", "jm_leader_admin")
    ),
    # --- the API (issue 13): the same parties reach the same objects as JSON ---
    Own("token-revoke", "jm_manager", _pk("token_pk", "token"), "post", 302),
    Own("api-call-detail", None, _pk("call_pk", "call")),
    Own("api-call-detail", "jm_manager", _pk("call_pk", "draft_call"), on="draft"),
    *(
        Own("api-application-detail", persona, _pk("application_pk", "submitted"))
        for persona in APPLICATION_PARTIES
    ),
    *(
        Own(
            "api-application-section",
            persona,
            lambda own: {"application_pk": own["submitted"].pk, "section_key": "basic_info"},
        )
        for persona in ("jm_leader_admin", "jm_manager")
    ),
    *(
        Own("api-deadline-detail", persona, _pk("deadline_pk", "deadline"))
        for persona in ("jm_manager", "gd_manager")
    ),
    *(
        Own(
            "api-notification-detail",
            persona,
            lambda own, persona=persona: {"notification_pk": own["notifications"][persona].pk},
        )
        for persona in ("pj_applicant", "jm_manager")
    ),
    *(
        Own(url, persona, _pk(kwarg, key))
        for url, kwarg, key in (
            ("api-enterprise-detail", "enterprise_pk", "enterprise"),
            ("api-enterprise-file-detail", "file_section_pk", "file_section"),
            ("api-assessment-detail", "assessment_pk", "assessment"),
            ("api-contract-detail", "contract_pk", "contract"),
            ("api-task-book-detail", "task_book_pk", "task_book"),
        )
        for persona in (*PILOT_PARTIES, "jm_manager")
    ),
    *(
        Own(url, persona, _pk(kwarg, key))
        for url, kwarg, key in (
            ("api-programme-detail", "programme_pk", "programme"),
            ("api-fund-use-detail", "fund_use_pk", "fund_use"),
            ("api-programme-evaluation-detail", "programme_evaluation_pk", "programme_evaluation"),
        )
        for persona in ("jm_manager", "gd_manager")
    ),
    *(
        Own(url, persona, _pk(kwarg, key))
        for url, kwarg, key in (
            ("api-quarterly-report-detail", "report_pk", "report"),
            ("api-quarterly-evaluation-detail", "evaluation_pk", "evaluation"),
        )
        for persona in ("jm_manager", "jm_leader_admin", "gd_manager")
    ),
]


def _own_params() -> list:
    return [
        pytest.param(
            row,
            id=str(row),
            marks=[pytest.mark.xfail(strict=True, reason=row.xfail)] if row.xfail else [],
        )
        for row in OWN
    ]


def test_every_object_url_is_walked_with_its_own_objects():
    """A new URL with an object kwarg must say who uses it on which object, and what it answers."""
    walked = {name for name, _kwargs in OBJECT_PATTERNS}
    listed = {row.url for row in OWN}
    assert sorted(walked - listed) == [], (
        "add these URLs to OWN in tests/test_url_walk.py (persona, own object, expected answer)"
    )
    assert sorted(listed - walked) == [], "OWN lists URLs that no longer exist"


@pytest.mark.parametrize("row", _own_params())
def test_every_persona_reaches_its_own_objects(client, world, settings, tmp_path, row):
    settings.MEDIA_ROOT = tmp_path  # the downloads read real files
    own = own_objects(world)
    if row.persona is not None:
        client.force_login(world.users[row.persona])
    url = reverse(row.url, kwargs=row.kwargs(own))
    response = getattr(client, row.method)(url, row.data(own) if row.data else {})
    assert response.status_code == row.status, (
        f"{row.method.upper()} {url} as {row.persona or 'the public'}: {response.status_code}"
    )
    if response.status_code == 302:
        assert "/accounts/login/" not in response["Location"], response["Location"]
