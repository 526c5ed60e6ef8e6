"""A document points at its subject (content type + id), and who may see it follows the subject's
own rule (DESIGN.md §3): a pilot enterprise's task book and record are for the enterprise, the
leading unit serving it and the bureaus over its county (004 §2.2.13), and nobody else."""

import ast
from itertools import count
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from applications.models import Application
from evaluation.models import ExpertAssignment, Publicity, ReviewRound, Rubric
from pilots import documents as pilot_documents
from pilots.models import LeadingUnit, PilotEnterprise
from portal import bundles
from portal.documents import verification_code
from portal.models import DocumentBundle
from portal.scoping import scopes_disabled

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent

# Those who see Pengjiang's pilot enterprise (served by Jiangmen's leading unit), and those who
# must not: a sibling county, other enterprises, another city and province, an expert.
PARTIES = ["pj_applicant", "pj_member", "jm_leader_admin", "pj_manager", "jm_manager", "gd_manager"]
OUTSIDERS = [
    "jh_manager",
    "jh_applicant",
    "gz_manager",
    "gz_applicant",
    "wj_manager",
    "js_manager",
    "expert_li",
]


@pytest.fixture
def other_leader(world):
    """The admin of another Jiangmen leading unit (the institute), serving none of the above."""
    with scopes_disabled():
        LeadingUnit.objects.create(
            organization=world.jm_institute,
            bureau=world.jm,
            kind="industry_chain",
            sub_industries=["五金制品及零配件"],
            selected_at=timezone.now(),
        )
    # The demo world already has the institute's admin (it files Jiangmen's city plan).
    return world.jm_institute_admin


@pytest.fixture
def enterprise_pdfs(client, world, signed_enterprise, django_capture_on_commit_callbacks):
    """The leading unit asks for the enterprise's task book and record as PDFs, as on its page."""
    client.force_login(world.jm_leader_admin)
    with django_capture_on_commit_callbacks(execute=True):
        for path in ("task-book.pdf", "file.pdf"):
            response = client.post(f"/pilots/enterprises/{signed_enterprise.pk}/{path}")
            assert response.status_code == 302
    with scopes_disabled():
        task_book = signed_enterprise.bundles.get(kind=pilot_documents.TASK_BOOK)
        record = signed_enterprise.bundles.get(kind=pilot_documents.ENTERPRISE_FILE)
    assert task_book.status == record.status == DocumentBundle.Status.DONE
    client.logout()
    return signed_enterprise, task_book, record


def test_the_enterprise_its_leading_unit_and_the_bureaus_over_its_county_download_its_pdfs(
    client, world, enterprise_pdfs, as_user
):
    enterprise, task_book, record = enterprise_pdfs
    for persona in PARTIES:
        user = world.users[persona]
        with as_user(user):
            assert DocumentBundle.objects.filter(pk__in=[task_book.pk, record.pk]).count() == 2
        client.force_login(user)
        for bundle in (task_book, record):
            response = client.get(f"/documents/{bundle.pk}/")
            assert response.status_code == 200, (persona, bundle.kind)
            assert response["Content-Type"] == "application/pdf"
            assert b"".join(response.streaming_content).startswith(b"%PDF")
            assert client.get(f"/documents/{bundle.pk}/status/").status_code == 200


def test_another_leading_unit_a_sibling_county_and_outsiders_get_404(
    client, world, enterprise_pdfs, other_leader, as_user
):
    enterprise, task_book, record = enterprise_pdfs
    for user in [other_leader] + [world.users[persona] for persona in OUTSIDERS]:
        with as_user(user):
            assert not DocumentBundle.objects.filter(pk__in=[task_book.pk, record.pk]).exists()
        client.force_login(user)
        for bundle in (task_book, record):
            assert client.get(f"/documents/{bundle.pk}/").status_code == 404, user.username
            assert client.get(f"/documents/{bundle.pk}/status/").status_code == 404
    client.logout()
    assert client.get(f"/documents/{task_book.pk}/").status_code == 302  # to the login page


def test_the_leading_unit_finds_both_pdfs_on_the_enterprise_page(client, world, enterprise_pdfs):
    enterprise, task_book, record = enterprise_pdfs
    client.force_login(world.jm_leader_admin)
    body = client.get(f"/pilots/enterprises/{enterprise.pk}/").content.decode()
    assert f"/documents/{task_book.pk}/" in body and f"/documents/{record.pk}/" in body
    assert body.count("下载盖章 PDF") == 2


# --- the rule, for every persona and every kind of subject ---------------------------------------
@pytest.fixture
def subjects(world, leading_call, signed_enterprise):
    """One subject of each model documents are about, all in Jiangmen: a submitted application of
    the Pengjiang enterprise, its pilot enterprise, a review round with expert_li assigned, and
    a published notice."""
    with scopes_disabled():
        application = Application.objects.create(
            call=leading_call,
            organization=world.pj_maker,
            status="submitted",
            created_by=world.pj_applicant,
        )
        rubric = Rubric.objects.get(code="leading-unit-rubric-2025")
        review_round = ReviewRound.objects.create(
            call=leading_call,
            rubric=rubric,
            name="第一轮",
            criteria=rubric.definition["criteria"],
            created_by=world.jm_manager,
        )
        ExpertAssignment.objects.create(
            round=review_round, application=application, expert=world.expert_li, status="accepted"
        )
        publicity = Publicity.objects.create(
            call=leading_call,
            title="公示",
            status=Publicity.Status.PUBLISHED,
            starts_at=timezone.now(),
            created_by=world.jm_manager,
        )
    return {
        "application_book": application,
        "task_book": signed_enterprise,
        "enterprise_file": signed_enterprise,
        "ranking_table": review_round,
        "publicity_notice": publicity,
    }


def make_bundles(subjects, bureau) -> dict[str, DocumentBundle]:
    numbers = count(1)
    with scopes_disabled():
        return {
            kind: DocumentBundle.objects.create(
                kind=kind,
                subject_type=ContentType.objects.get_for_model(subject),
                subject_id=subject.pk,
                bureau=bureau,
                source_hash="s",
                code=f"SUBJ-{next(numbers):04d}-0000",
                status=DocumentBundle.Status.DONE,
            )
            for kind, subject in subjects.items()
        }


def seen(user, as_user, instance) -> bool:
    with as_user(user):
        return type(instance).objects.filter(pk=instance.pk).exists()


def test_every_persona_sees_a_document_exactly_when_it_sees_its_subject(
    world, subjects, as_user, other_leader
):
    made = make_bundles(subjects, bureau=world.jm)
    users = [*world.users.values(), other_leader]
    for kind in ("application_book", "task_book", "enterprise_file"):
        subject, bundle = subjects[kind], made[kind]
        seeing = {u.username for u in users if seen(u, as_user, bundle)}
        assert seeing == {u.username for u in users if seen(u, as_user, subject)}, kind
        assert seeing and seeing != {u.username for u in users}, kind  # not trivially
    enterprise_pdf_readers = {u.username for u in users if seen(u, as_user, made["task_book"])}
    assert {"jm_leader_admin", "pj_applicant", "pj_manager"} <= enterprise_pdf_readers
    assert "jm_institute_admin" not in enterprise_pdf_readers
    assert "jh_manager" not in enterprise_pdf_readers
    # The application book also reaches the expert assigned to it, as the book does.
    assert seen(world.expert_li, as_user, made["application_book"])


def test_the_bureaus_papers_stay_with_its_staff_though_their_subjects_are_shared(
    world, subjects, as_user
):
    made = make_bundles(subjects, bureau=world.jm)
    ranking, notice = made["ranking_table"], made["publicity_notice"]
    # The expert sees the round but not its ranking with the other experts' sheets.
    assert seen(world.expert_li, as_user, subjects["ranking_table"])
    assert not seen(world.expert_li, as_user, ranking)
    # Everyone sees a published notice; its print copy is the bureau's.
    assert seen(world.pj_applicant, as_user, subjects["publicity_notice"])
    assert not seen(world.pj_applicant, as_user, notice)
    for persona in ("jm_manager", "jm_reviewer", "gd_manager", "operator"):
        assert seen(world.users[persona], as_user, ranking), persona
        assert seen(world.users[persona], as_user, notice), persona
    for persona in ("gz_manager", "pj_manager", "jm_leader_admin"):
        assert not seen(world.users[persona], as_user, ranking), persona
        assert not seen(world.users[persona], as_user, notice), persona
    # Staff-only narrows the subject's rule, never widens it.
    for user in world.users.values():
        for kind in ("ranking_table", "publicity_notice"):
            if seen(user, as_user, made[kind]):
                assert seen(user, as_user, subjects[kind]), (user.username, kind)


# --- requests ---------------------------------------------------------------------------------
def test_a_request_names_its_subject_and_derives_the_code_from_it(world, signed_enterprise):
    with scopes_disabled():
        task_book = pilot_documents.request_task_book(signed_enterprise)
        again = pilot_documents.request_task_book(signed_enterprise)
        record = pilot_documents.request_enterprise_file(signed_enterprise)
        assert again.pk == task_book.pk  # one bundle per kind and subject
        assert record.pk != task_book.pk
        assert task_book.subject == signed_enterprise
        assert set(signed_enterprise.bundles.values_list("kind", flat=True)) == {
            pilot_documents.TASK_BOOK,
            pilot_documents.ENTERPRISE_FILE,
        }
    assert task_book.subject_type == ContentType.objects.get_for_model(PilotEnterprise)
    assert task_book.subject_id == signed_enterprise.pk
    assert task_book.code == verification_code(
        pilot_documents.TASK_BOOK,
        "pilots.pilotenterprise",
        signed_enterprise.pk,
        task_book.source_hash,
    )


def test_a_request_refuses_a_subject_of_another_model(world, signed_enterprise):
    with scopes_disabled(), pytest.raises(TypeError):
        bundles.bundle_request(
            kind=pilot_documents.TASK_BOOK, subject=signed_enterprise.leading_unit, source="s"
        )


def test_a_subjects_documents_go_with_it(world, leading_call):
    with scopes_disabled():
        application = Application.objects.create(
            call=leading_call, organization=world.pj_maker, created_by=world.pj_applicant
        )
        make_bundles({"application_book": application}, bureau=world.jm)
        application.delete()
        assert not DocumentBundle.objects.exists()


# --- no subject strings -------------------------------------------------------------------------
def project_sources():
    packages = [
        folder
        for folder in ROOT.iterdir()
        if (folder / "__init__.py").exists() and not folder.is_symlink() and folder.name != "tests"
    ]
    assert {"portal", "applications", "pilots", "evaluation"} <= {f.name for f in packages}
    for path in sorted(p for folder in packages for p in folder.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if "migrations" in relative.parts:
            continue  # 0006 parses the old keys once, to convert them
        yield relative, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


# Files whose ':'-separated strings are formats of their own, never a subject, with the reason.
NOT_SUBJECTS = {
    "portal/crypto.py": "a ciphertext envelope (enc1:<cipher>:<key id>:<body>) and key labels",
    "portal/settings.py": "PORTAL_DATA_KEYS=<key id>:<base64 key>, a setting's own format",
}


def test_no_code_names_a_subject_with_a_string_or_splits_one():
    """Subjects are typed relations (STYLE.md): no "enterprise:12" is built, stored or split."""
    found = []
    for relative, tree in project_sources():
        if str(relative) in NOT_SUBJECTS:
            continue
        for node in ast.walk(tree):
            where = f"{relative}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Attribute) and node.attr == "subject_key":
                found.append(f"{where} reads subject_key")
            if isinstance(node, ast.keyword) and node.arg == "subject_key":
                found.append(f"{where} passes subject_key")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"split", "rsplit", "partition", "rpartition"}
                and any(isinstance(arg, ast.Constant) and arg.value == ":" for arg in node.args)
            ):
                found.append(f"{where} splits on ':'")
            if (
                isinstance(node, ast.JoinedStr)
                and len(node.values) == 2
                and isinstance(node.values[0], ast.Constant)
                and str(node.values[0].value).rstrip(":").isidentifier()
                and str(node.values[0].value).endswith(":")
                and isinstance(node.values[1], ast.FormattedValue)
            ):
                found.append(f"{where} builds a '<name>:<id>' key")
    assert found == []
    assert "subject_key" not in {field.name for field in DocumentBundle._meta.get_fields()}


# --- the migration ------------------------------------------------------------------------------
BEFORE = ("portal", "0004_bundle_subjects")


def test_the_migration_turns_the_application_link_and_subject_keys_into_typed_subjects(
    transactional_db, world, leading_call
):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    def migrate(targets=None) -> MigrationExecutor:
        executor = MigrationExecutor(connection)
        executor.migrate(targets or executor.loader.graph.leaf_nodes())
        return executor

    def old_rows(executor: MigrationExecutor) -> dict:
        old = executor.loader.project_state([BEFORE]).apps.get_model("portal", "DocumentBundle")
        return {b.kind: (b.application_id, b.subject_key, b.code) for b in old.objects.all()}

    with scopes_disabled():
        application = Application.objects.create(
            call=leading_call, organization=world.pj_maker, created_by=world.pj_applicant
        )
    rows = {
        "application_book": (application.pk, "", "MIGR-0001-0000"),
        "task_book": (None, "enterprise:41", "MIGR-0002-0000"),
        "ranking_table": (None, "round:7", "MIGR-0003-0000"),
        "publicity_notice": (None, "publicity:9", "MIGR-0004-0000"),
    }
    try:
        executor = migrate([BEFORE])
        old = executor.loader.project_state([BEFORE]).apps.get_model("portal", "DocumentBundle")
        for kind, (application_id, subject_key, code) in rows.items():
            old.objects.create(
                kind=kind,
                application_id=application_id,
                subject_key=subject_key,
                source_hash="s",
                code=code,
            )
        migrate()
        with scopes_disabled():
            converted = {
                bundle.kind: (bundle.subject_type.natural_key(), bundle.subject_id, bundle.code)
                for bundle in DocumentBundle.objects.select_related("subject_type")
            }
            assert application.bundles.get().kind == "application_book"
        assert converted == {
            "application_book": (
                ("applications", "application"),
                application.pk,
                rows["application_book"][2],
            ),
            "task_book": (("pilots", "pilotenterprise"), 41, rows["task_book"][2]),
            "ranking_table": (("evaluation", "reviewround"), 7, rows["ranking_table"][2]),
            "publicity_notice": (("evaluation", "publicity"), 9, rows["publicity_notice"][2]),
        }
        # And back: the old link and keys come back as they were.
        assert old_rows(migrate([BEFORE])) == rows
    finally:
        migrate()
