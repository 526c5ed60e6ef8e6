"""Review and scoring: arithmetic, conflicts, blind scoring, caps, publicity, finalisation."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from applications import services as application_services
from applications.models import Application
from evaluation import services
from evaluation.models import ExpertAssignment, Publicity, ReviewRound, Rubric, ScoreSheet
from evaluation.scoring import aggregate, competition_ranks, parse_score, sheet_total
from pilots.models import AllianceMember, LeadingUnit
from portal.scoping import scopes_disabled, visibility_scope
from portal.visibility import Visibility
from tests.books import fill_book, make_call

D = Decimal
CRITERIA = [{"key": "a", "max": 20, "weight": 1}, {"key": "b", "max": 10, "weight": 2}]


# --- arithmetic ---------------------------------------------------------------------------------------
def test_the_weighted_total_is_score_times_weight_over_max_times_weight():
    # (15×1 + 8×2) / (20×1 + 10×2) = 31 / 40 = 77.50
    assert sheet_total(CRITERIA, {"a": "15", "b": "8"}) == D("77.50")
    assert sheet_total(CRITERIA, {"a": "20", "b": "10"}) == D("100.00")
    assert sheet_total(CRITERIA, {"a": "0", "b": "0"}) == D("0.00")


def test_a_missing_or_impossible_score_gives_no_total():
    assert sheet_total(CRITERIA, {"a": "15"}) is None
    assert sheet_total(CRITERIA, {"a": "21", "b": "5"}) is None
    assert (
        parse_score("8.55", D(10)) is None
        and parse_score("-1", D(10)) is None
        and parse_score("NaN", D(10)) is None
    )
    assert parse_score("8.5", D(10)) == D("8.5")


def test_the_mean_and_the_trimmed_mean_from_five_experts():
    four = aggregate([D(60), D(70), D(80), D(90)], trim=True)
    assert (four.count, four.mean, four.trimmed, four.final) == (4, D("75.00"), None, D("75.00"))
    five = aggregate([D(50), D(70), D(80), D(90), D(100)], trim=True)
    assert (five.mean, five.trimmed, five.final) == (
        D("78.00"),
        D("80.00"),
        D("80.00"),
    )  # drop 50 and 100
    untrimmed = aggregate([D(50), D(70), D(80), D(90), D(100)], trim=False)
    assert untrimmed.trimmed is None and untrimmed.final == D("78.00")
    assert aggregate([], trim=True).final is None


def test_ties_share_a_rank_and_missing_figures_are_unranked():
    assert competition_ranks([D(90), D(85), D(90), None, D(70)]) == [1, 3, 1, None, 4]


# --- the review journey at the service level ------------------------------------------------------------
pytestmark = pytest.mark.django_db


def act(user):
    return Visibility.for_user(user)


@pytest.fixture
def scored_setup(world, leading_call):
    """A submitted, formally passed leading-unit book and an open round with 3 experts each."""
    visibility = act(world.jm_leader_admin)
    with visibility_scope(visibility):
        application = application_services.application_start(
            visibility=visibility,
            call=leading_call,
            organization=world.jm_leader,
            actor=world.jm_leader_admin,
        )
    fill_book(application, world.jm_leader_admin)
    with visibility_scope(visibility):
        application_services.application_submit(
            visibility=visibility, application=application, actor=world.jm_leader_admin
        )
    staff = act(world.jm_manager)
    with visibility_scope(staff):
        services.formal_check_pass(
            visibility=staff, application=application, actor=world.jm_manager
        )
        rubric = Rubric.objects.get(code="leading-unit-rubric-2025")
        review_round = services.round_create(
            visibility=staff,
            call=leading_call,
            rubric=rubric,
            name="第一轮",
            experts_per_application=3,
            trimmed_mean=True,
            actor=world.jm_manager,
        )
        services.assignments_fill(
            visibility=staff, review_round=review_round, actor=world.jm_manager
        )
    return application, review_round


def assignments(review_round):
    with scopes_disabled():
        return {
            a.expert.username: a
            for a in ExpertAssignment.objects.filter(round=review_round).select_related("expert")
        }


def score(user, assignment, values, submit=True):
    visibility = act(user)
    with visibility_scope(visibility):
        if assignment.status == "assigned":
            services.conflict_declare(
                visibility=visibility,
                assignment=assignment,
                has_conflict=False,
                reason="",
                actor=user,
            )
        sheet = ScoreSheet.objects.get(assignment=assignment)
        return services.sheet_save(
            visibility=visibility,
            sheet=sheet,
            scores=values,
            comments={},
            overall_comment="",
            submit=submit,
            actor=user,
        )


FULL = {
    "capability": "18",
    "cases": "17",
    "products": "12",
    "alliance": "13",
    "plan": "16",
    "targets": "8",
}


def test_a_declared_conflict_is_replaced_and_a_partner_s_employee_excluded_automatically(
    world, scored_setup
):
    application, review_round = scored_setup
    found = assignments(review_round)
    assert sorted(n for n, a in found.items() if a.status == "assigned") == [
        "expert_li",
        "expert_wang",
        "expert_zhao",
    ]
    zhao = found["expert_zhao"]
    with visibility_scope(act(world.expert_zhao)):
        services.conflict_declare(
            visibility=act(world.expert_zhao),
            assignment=zhao,
            has_conflict=True,
            reason="曾为申报单位提供咨询",
            actor=world.expert_zhao,
        )
    staff = act(world.jm_manager)
    with visibility_scope(staff):
        assert (
            services.assignments_fill(
                visibility=staff, review_round=review_round, actor=world.jm_manager
            )
            == 1
        )
        # expert_chen works for the applicant's integrator (alliance table): excluded, never asked.
        with pytest.raises(ValidationError):
            services.assignment_add(
                visibility=staff,
                review_round=review_round,
                application=application,
                expert=world.expert_chen,
                actor=world.jm_manager,
            )
    found = assignments(review_round)
    assert found["expert_zhao"].status == "conflict"
    assert found["expert_chen"].status == "excluded" and found["expert_chen"].conflict_reason
    assert found["expert_sun"].status == "assigned"
    assert sum(1 for a in found.values() if a.status in ExpertAssignment.ACTIVE) == 3


def test_scoring_is_blind_while_the_round_is_open(world, scored_setup):
    application, review_round = scored_setup
    active = [a for a in assignments(review_round).values() if a.status == "assigned"]
    first, second = active[0], active[1]
    sheet = score(first.expert, first, FULL)
    with visibility_scope(act(second.expert)):
        assert not ScoreSheet.objects.filter(pk=sheet.pk).exists()
        assert ScoreSheet.objects.filter(assignment__expert=second.expert).count() == 0
    with visibility_scope(act(world.jm_manager)):
        assert ScoreSheet.objects.filter(pk=sheet.pk).exists()
        services.round_close(
            visibility=act(world.jm_manager), review_round=review_round, actor=world.jm_manager
        )
    with visibility_scope(act(second.expert)):
        assert ScoreSheet.objects.filter(
            pk=sheet.pk
        ).exists()  # after closing, the panel may compare


def test_scores_are_validated_and_a_submitted_sheet_is_reopened_only_by_staff(world, scored_setup):
    application, review_round = scored_setup
    assignment = next(a for a in assignments(review_round).values() if a.status == "assigned")
    with pytest.raises(ValidationError) as caught:
        score(assignment.expert, assignment, {**FULL, "cases": "21"})
    assert "0 到 20" in str(caught.value.message_dict["cases"])
    with pytest.raises(ValidationError):
        score(assignment.expert, assignment, {**FULL, "plan": ""})  # submit needs every score
    sheet = score(
        assignment.expert, assignment, {"capability": "10"}, submit=False
    )  # a draft may be partial
    assignment.refresh_from_db()
    sheet = score(assignment.expert, assignment, FULL)
    with pytest.raises(ValidationError):
        score(assignment.expert, assignment, FULL)
    with visibility_scope(act(world.jm_manager)):
        with pytest.raises(ValidationError):
            services.sheet_reopen(
                visibility=act(world.jm_manager), sheet=sheet, reason="", actor=world.jm_manager
            )
        services.sheet_reopen(
            visibility=act(world.jm_manager), sheet=sheet, reason="计分有误", actor=world.jm_manager
        )
    with scopes_disabled():
        assert ScoreSheet.objects.get(pk=sheet.pk).status == "draft"


def test_the_whole_selection_creates_the_leading_unit_and_its_alliance(world, scored_setup):
    application, review_round = scored_setup
    for assignment in [a for a in assignments(review_round).values() if a.status == "assigned"]:
        score(assignment.expert, assignment, FULL)
    with scopes_disabled():
        assert Application.objects.get(pk=application.pk).status == "scored"
    staff = act(world.jm_manager)
    with visibility_scope(staff):
        services.selection_propose(
            visibility=staff,
            review_round=review_round,
            application_ids=[application.pk],
            acknowledged=False,
            actor=world.jm_manager,
        )
        publicity = services.publicity_create(
            visibility=staff,
            call=review_round.call,
            title="拟入选名单公示",
            body="",
            days=5,
            contact="0750-3279722",
            actor=world.jm_manager,
        )
        services.publicity_publish(visibility=staff, publicity=publicity, actor=world.jm_manager)
        with pytest.raises(ValidationError):
            services.publicity_finalise(
                visibility=staff, publicity=publicity, actor=world.jm_manager
            )  # still running
    objection = services.objection_submit(
        publicity=publicity, entry=None, name="某公众", contact="13800000000", text="请核实案例。"
    )
    with visibility_scope(staff):
        with pytest.raises(ValidationError):
            services.publicity_finalise(
                visibility=staff,
                publicity=publicity,
                actor=world.jm_manager,
                now=timezone.now() + timedelta(days=5, minutes=1),
            )
        services.objection_handle(
            visibility=staff,
            objection=objection,
            uphold=False,
            note="经核实案例真实。",
            actor=world.jm_manager,
        )
        [unit] = services.publicity_finalise(
            visibility=staff,
            publicity=Publicity.objects.get(pk=publicity.pk),
            actor=world.jm_manager,
            now=timezone.now() + timedelta(days=5, minutes=1),
        )
    with scopes_disabled():
        assert Application.objects.get(pk=application.pk).status == "selected"
        unit = LeadingUnit.objects.get(pk=unit.pk)
        roles = sorted(
            AllianceMember.objects.filter(alliance__leading_unit=unit).values_list(
                "role", flat=True
            )
        )
    assert unit.organization == world.jm_leader and unit.kind == "industry_chain"
    assert roles == ["ecosystem", "integrator", "leader"]  # 1 + 1 + N


def test_finalising_the_selection_closes_the_call_s_rounds(world, scored_setup):
    application, review_round = scored_setup
    for assignment in [a for a in assignments(review_round).values() if a.status == "assigned"]:
        score(assignment.expert, assignment, FULL)
    staff = act(world.jm_manager)
    later = timezone.now() + timedelta(days=5, minutes=1)
    with visibility_scope(staff):
        services.selection_propose(
            visibility=staff,
            review_round=review_round,
            application_ids=[application.pk],
            acknowledged=False,
            actor=world.jm_manager,
        )
        publicity = services.publicity_create(
            visibility=staff,
            call=review_round.call,
            title="拟入选名单公示",
            body="",
            days=5,
            contact="0750-3279722",
            actor=world.jm_manager,
        )
        services.publicity_publish(visibility=staff, publicity=publicity, actor=world.jm_manager)
        assert ReviewRound.objects.get(pk=review_round.pk).status != "closed"
        services.publicity_finalise(
            visibility=staff, publicity=publicity, actor=world.jm_manager, now=later
        )
        assert ReviewRound.objects.get(pk=review_round.pk).status == "closed"


def test_more_than_three_leading_units_in_a_sub_industry_must_be_acknowledged(world, leading_call):
    """≤3 leading units per sub-industry (003 §三): a warning the decision acknowledges."""
    from portal.models import Organization
    from portal.uscc import with_check_digit

    with scopes_disabled():
        rubric = Rubric.objects.get(code="leading-unit-rubric-2025")
        review_round = ReviewRound.objects.create(
            call=leading_call,
            rubric=rubric,
            name="r",
            criteria=rubric.definition["criteria"],
            created_by=world.jm_manager,
        )
        ids = []
        for n in range(4):
            organization = Organization.objects.create(
                uscc=with_check_digit(f"91440703MC{n:07d}"),
                name=f"牵引候选{n}",
                home_bureau=world.jm,
            )
            ids.append(
                Application.objects.create(
                    call=leading_call,
                    organization=organization,
                    status="scored",
                    created_by=world.jm_manager,
                    sub_industries_index="|五金制品及零配件|",
                ).pk
            )
    staff = act(world.jm_manager)
    with visibility_scope(staff):
        with pytest.raises(ValidationError) as caught:
            services.selection_propose(
                visibility=staff,
                review_round=review_round,
                application_ids=ids,
                acknowledged=False,
                actor=world.jm_manager,
            )
        assert "五金制品及零配件" in caught.value.messages[0] and "003" in caught.value.messages[0]
        warnings = services.selection_propose(
            visibility=staff,
            review_round=review_round,
            application_ids=ids,
            acknowledged=True,
            actor=world.jm_manager,
        )
    assert len(warnings) == 1
    with scopes_disabled():
        assert set(Application.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
            "proposed"
        }


def test_the_cap_counts_units_already_serving_and_books_already_proposed(world, leading_call):
    """003 §三(三): three units already serve the sub-industry in the city, so a fourth proposed in
    a later call, or one more after a separate proposal, must be acknowledged too."""
    from pilots.models import LeadingUnit
    from portal.models import Organization
    from portal.uscc import with_check_digit

    with scopes_disabled():
        rubric = Rubric.objects.get(code="leading-unit-rubric-2025")
        review_round = ReviewRound.objects.create(
            call=leading_call,
            rubric=rubric,
            name="r",
            criteria=rubric.definition["criteria"],
            created_by=world.jm_manager,
        )
        ids = []
        for n in range(3):
            organization = Organization.objects.create(
                uscc=with_check_digit(f"91440703ME{n:07d}"), name=f"候选{n}", home_bureau=world.jm
            )
            ids.append(
                Application.objects.create(
                    call=leading_call,
                    organization=organization,
                    status="scored",
                    created_by=world.jm_manager,
                    sub_industries_index="|五金制品及零配件|",
                ).pk
            )
        for n in range(2):
            LeadingUnit.objects.create(
                organization=Organization.objects.create(
                    uscc=with_check_digit(f"91440703MF{n:07d}"),
                    name=f"现有{n}",
                    home_bureau=world.jm,
                ),
                bureau=world.jm,
                kind="industry_chain",
                sub_industries=["五金制品及零配件"],
                selected_at=timezone.now(),
            )
    staff = act(world.jm_manager)
    with visibility_scope(staff):
        # Two serving + one proposed = three: no warning.
        assert (
            services.selection_propose(
                visibility=staff,
                review_round=review_round,
                application_ids=ids[:1],
                acknowledged=False,
                actor=world.jm_manager,
            )
            == []
        )
        # A fourth, proposed separately, is over the cap.
        with pytest.raises(ValidationError) as caught:
            services.selection_propose(
                visibility=staff,
                review_round=review_round,
                application_ids=ids[1:2],
                acknowledged=False,
                actor=world.jm_manager,
            )
    assert "五金制品及零配件" in caught.value.messages[0] and "4" in caught.value.messages[0]


def test_the_publicity_ends_by_itself_and_reminds_the_bureau(world, scored_setup):
    from portal import deadlines
    from portal.models import Notification

    application, review_round = scored_setup
    with scopes_disabled():
        Application.objects.filter(pk=application.pk).update(status="proposed")
    staff = act(world.jm_manager)
    with visibility_scope(staff):
        publicity = services.publicity_create(
            visibility=staff,
            call=review_round.call,
            title="公示",
            body="",
            days=5,
            contact="",
            actor=world.jm_manager,
        )
        services.publicity_publish(visibility=staff, publicity=publicity, actor=world.jm_manager)
    import time_machine

    with time_machine.travel(publicity.ends_at - timedelta(hours=2)):  # reminded on the last day
        deadlines.plan_reminders()
        deadlines.send_pending(worker="t")
    with time_machine.travel(publicity.ends_at + timedelta(minutes=1)):
        assert deadlines.run_due_actions() == 1
    with scopes_disabled():
        assert Publicity.objects.get(pk=publicity.pk).status == "ended"
    assert Notification.objects.filter(user=world.jm_manager, kind="publicity_end").exists()


# --- through the pages ---------------------------------------------------------------------------------------
def test_an_expert_asking_for_another_expert_s_sheet_gets_404(client, world, scored_setup):
    application, review_round = scored_setup
    found = assignments(review_round)
    li, wang = found["expert_li"], found["expert_wang"]
    sheet = score(world.expert_li, li, FULL)
    client.force_login(world.expert_wang)
    assert client.get(f"/reviews/{li.pk}/").status_code == 404
    assert client.get(f"/rounds/{review_round.pk}/sheets/{sheet.pk}/").status_code == 404
    assert client.get(f"/reviews/{wang.pk}/").status_code == 200
    client.force_login(world.expert_li)
    assert "83.64" in client.get(f"/reviews/{li.pk}/").content.decode()


def test_the_ranking_page_query_count_does_not_grow(client, world, leading_call):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal.models import Organization
    from portal.uscc import with_check_digit

    with scopes_disabled():
        rubric = Rubric.objects.get(code="leading-unit-rubric-2025")
        review_round = ReviewRound.objects.create(
            call=leading_call,
            rubric=rubric,
            name="r",
            criteria=rubric.definition["criteria"],
            created_by=world.jm_manager,
        )
    experts = [
        world.expert_li,
        world.expert_wang,
        world.expert_sun,
        world.expert_zhao,
        world.expert_chen,
    ]

    def add(count, start):
        with scopes_disabled():
            for n in range(start, start + count):
                organization = Organization.objects.create(
                    uscc=with_check_digit(f"91440703MD{n:07d}"),
                    name=f"排名企业{n}",
                    home_bureau=world.jm,
                )
                application = Application.objects.create(
                    call=leading_call,
                    organization=organization,
                    status="scored",
                    created_by=world.jm_manager,
                    sub_industries_index="|五金制品及零配件|",
                )
                for expert in experts:
                    assignment = ExpertAssignment.objects.create(
                        round=review_round,
                        application=application,
                        expert=expert,
                        status="submitted",
                    )
                    ScoreSheet.objects.create(
                        assignment=assignment,
                        status="submitted",
                        scores={k: str(n % 10) for k in FULL},
                    )

    client.force_login(world.jm_manager)
    add(2, 0)
    # Warm the process's caches (content types) first: a cold cache is one query, not growth.
    client.get(f"/rounds/{review_round.pk}/ranking/")
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/rounds/{review_round.pk}/ranking/").status_code == 200
    add(12, 2)
    with CaptureQueriesContext(connection) as many:
        body = client.get(f"/rounds/{review_round.pk}/ranking/").content.decode()
    assert len(many) == len(few)
    assert "5/5" in body
    response = client.get(f"/rounds/{review_round.pk}/ranking.xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )


def test_objections_take_hostile_input_without_failing(client, world, scored_setup):
    application, review_round = scored_setup
    with scopes_disabled():
        Application.objects.filter(pk=application.pk).update(status="proposed")
    staff = act(world.jm_manager)
    with visibility_scope(staff):
        publicity = services.publicity_create(
            visibility=staff,
            call=review_round.call,
            title="公示",
            body="",
            days=5,
            contact="",
            actor=world.jm_manager,
        )
        services.publicity_publish(visibility=staff, publicity=publicity, actor=world.jm_manager)
    url = f"/publicity/{publicity.pk}/"
    assert client.get(url).status_code == 200  # public, no login
    empty = client.post(url, {"name": "", "contact": "", "text": ""})
    assert empty.status_code == 200 and "此字段不能为空" in empty.content.decode()
    nasty = client.post(
        url,
        {
            "name": "<script>alert(1)</script>",
            "contact": "x" * 500,
            "text": "a\x00b" * 10,
            "entry": "abc",
        },
    )
    assert nasty.status_code in (200, 302) and b"<script>alert(1)</script>" not in nasty.content
    client.force_login(world.jm_manager)
    assert "&lt;script&gt;" in client.get(url).content.decode()


def test_the_ranking_and_the_notice_come_as_verifiable_pdfs(
    client, world, scored_setup, django_capture_on_commit_callbacks
):
    from pypdf import PdfReader

    from portal import bundles
    from portal.models import DocumentBundle

    application, review_round = scored_setup
    for assignment in [a for a in assignments(review_round).values() if a.status == "assigned"]:
        score(assignment.expert, assignment, FULL)
    client.force_login(world.jm_manager)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/rounds/{review_round.pk}/ranking.pdf").status_code == 302
    with scopes_disabled():
        bundle = DocumentBundle.objects.get(kind="ranking_table")
    text = "".join(page.extract_text() for page in PdfReader(bundle.file.path).pages)
    assert "83.64" in text and "评分表" in text and "赵研究员" in text
    assert bundles.bundle_verify(bundle.code).found
    assert "下载盖章 PDF" in client.get(f"/rounds/{review_round.pk}/ranking/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):  # nothing changed: the same file is kept
        client.post(f"/rounds/{review_round.pk}/ranking.pdf")
    with scopes_disabled():
        assert DocumentBundle.objects.get(kind="ranking_table").sha256 == bundle.sha256
    client.force_login(world.gz_manager)
    assert client.post(f"/rounds/{review_round.pk}/ranking.pdf").status_code == 404


def test_the_publicity_form_cites_each_call_s_own_rule(client, world, leading_call):
    benchmark = make_call(world.jm, code="benchmark-jiangmen-2023", kind="benchmark")
    with scopes_disabled():
        for call in (leading_call, benchmark):
            Application.objects.create(
                call=call,
                organization=world.pj_maker,
                status="proposed",
                created_by=world.pj_applicant,
            )
    client.force_login(world.jm_manager)
    page = client.get(f"/calls/{leading_call.pk}/review/").content.decode()
    assert "004 §1.2" in page and "001 §三(四)" not in page
    page = client.get(f"/calls/{benchmark.pk}/review/").content.decode()
    assert "001 §三(四)" in page


def test_a_bureau_admin_uploads_the_seal_its_ranking_carries(
    client, world, scored_setup, django_capture_on_commit_callbacks
):
    from pypdf import PdfReader

    from portal.models import DocumentBundle
    from tests.test_documents import seal_png

    application, review_round = scored_setup
    for assignment in [a for a in assignments(review_round).values() if a.status == "assigned"]:
        score(assignment.expert, assignment, FULL)
    client.force_login(world.jm_manager)  # staff, not the bureau's admin
    png = seal_png()
    refused = client.post(f"/bureaus/{world.jm.pk}/seal/", {"seal": io.BytesIO(png)})
    assert refused.status_code == 403
    client.force_login(world.jm_admin)
    assert "上传" in client.get(f"/bureaus/{world.jm.pk}/").content.decode()
    upload = io.BytesIO(png)
    upload.name = "seal.png"
    assert client.post(f"/bureaus/{world.jm.pk}/seal/", {"seal": upload}).status_code == 302
    with scopes_disabled():
        world.jm.refresh_from_db()
        assert world.jm.seal
    client.force_login(world.jm_manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/rounds/{review_round.pk}/ranking.pdf")
    with scopes_disabled():
        bundle = DocumentBundle.objects.get(kind="ranking_table")
    pages = PdfReader(bundle.file.path).pages
    assert "未上传印章" not in pages[0].extract_text()
    assert all(page.images for page in pages)  # the cross-page seal's slice on every page


def test_the_applicant_is_told_each_outcome_in_the_inbox(
    world, scored_setup, django_capture_on_commit_callbacks
):
    from portal.models import Notification

    application, review_round = scored_setup
    for assignment in [a for a in assignments(review_round).values() if a.status == "assigned"]:
        score(assignment.expert, assignment, FULL)
    staff = act(world.jm_manager)
    later = timezone.now() + timedelta(days=5, minutes=1)
    with visibility_scope(staff), django_capture_on_commit_callbacks(execute=True):
        services.selection_propose(
            visibility=staff,
            review_round=review_round,
            application_ids=[application.pk],
            acknowledged=False,
            actor=world.jm_manager,
        )
        publicity = services.publicity_create(
            visibility=staff,
            call=review_round.call,
            title="拟入选名单公示",
            body="",
            days=5,
            contact="0750-3279722",
            actor=world.jm_manager,
        )
        services.publicity_publish(visibility=staff, publicity=publicity, actor=world.jm_manager)
        services.publicity_finalise(
            visibility=staff, publicity=publicity, actor=world.jm_manager, now=later
        )
    with scopes_disabled():
        texts = list(
            Notification.objects.filter(
                user=world.jm_leader_admin, kind="application_outcome"
            ).values_list("params__text", "link")
        )
    statuses = [text for text, _link in texts]
    assert any("拟入选" in text for text in statuses), statuses
    assert any("“入选”" in text for text in statuses), statuses
    assert all(link == f"/applications/{application.pk}/" for _text, link in texts)
