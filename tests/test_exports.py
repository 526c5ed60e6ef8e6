"""Exports of every list a bureau uses (DESIGN.md §7, §9): registered list exporters over the
page's filters, scoped to the requester, XLSX and CSV, large ones as background jobs."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from portal import export_jobs, exporters
from portal.models import AuditEvent, ExportJob, Organization
from portal.scoping import scopes_disabled, visibility_scope
from portal.visibility import Visibility

STAFF = ("gd_manager", "jm_admin", "jm_manager", "pj_manager", "gz_manager", "wj_manager")


def xlsx_rows(content: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def download(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def _invisible_organizations(user) -> list[Organization]:
    with visibility_scope(Visibility.for_user(user)):
        visible = set(Organization.objects.values_list("pk", flat=True))
    with scopes_disabled():
        return [o for o in Organization.objects.all() if o.pk not in visible]


def _listable() -> list[str]:
    return sorted(i for i, e in exporters.EXPORTERS.items() if e.listable)


def test_every_list_exporter_is_reachable_through_the_export_view():
    assert {"organizations", "audit_log"} <= set(_listable())


@pytest.mark.parametrize("identifier", _listable())
@pytest.mark.parametrize("persona", STAFF)
def test_an_export_never_holds_another_tenants_rows(client, world, persona, identifier):
    """The foreign organizations' codes and names are in no cell, in either format."""
    user = world.users[persona]
    client.force_login(user)
    foreign = _invisible_organizations(user)
    assert foreign, "the world has tenants this persona may not see"
    for file_format in exporters.FORMATS:
        response = client.get(reverse("export"), {"table": identifier, "format": file_format})
        if response.status_code == 403:
            continue  # this role may not export this table at all
        assert response.status_code == 200, (persona, identifier, response.status_code)
        content = download(response)
        if file_format == "xlsx":
            cells = {str(v) for row in xlsx_rows(content) for v in row if v is not None}
        else:
            cells = {v for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for v in row}
        text = "\n".join(cells)
        for organization in foreign:
            assert organization.uscc not in text, (persona, identifier, organization.name)
            assert organization.name not in cells, (persona, identifier, organization.name)


@pytest.mark.parametrize("identifier", _listable())
def test_hostile_filters_never_fail_an_export(client, world, identifier):
    client.force_login(world.operator)
    for params in (
        {"q": "\x00'; drop table", "bureau": "abc", "page": "-1"},
        {"status": "x" * 500, "since": "2025-13-45", "until": "yesterday", "year": "99999"},
        {"sub_industry": "=cmd|' /C calc'!A0", "quarter": "9", "bureau": "999999999999"},
    ):
        response = client.get(reverse("export"), {"table": identifier, **params})
        assert response.status_code == 200, (identifier, params, response.status_code)


def test_the_organization_export_follows_the_pages_filters(client, world):
    client.force_login(world.jm_manager)
    page = client.get(reverse("organization-list"), {"q": "蓬江"})
    assert b"table=organizations" in page.content and b"q=" in page.content
    response = client.get(reverse("export"), {"table": "organizations", "q": "蓬江"})
    rows = xlsx_rows(response.content)
    assert rows[0][:2] == ("名称", "统一社会信用代码")
    names = [row[0] for row in rows[1:]]
    with visibility_scope(Visibility.for_user(world.jm_manager)):
        expected = list(
            Organization.objects.filter(name__icontains="蓬江")
            .order_by("name", "pk")
            .values_list("name", flat=True)
        )
    assert names == expected and expected
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="exported", object_id="organizations").exists()


def test_tables_that_are_not_lists_or_unknown_are_404_and_roles_without_export_403(client, world):
    client.force_login(world.jm_manager)
    assert client.get(reverse("export"), {"table": "ranking"}).status_code == 404
    assert client.get(reverse("export"), {"table": "nope"}).status_code == 404
    assert client.get(reverse("export")).status_code == 404
    client.force_login(world.pj_applicant)
    assert client.get(reverse("export"), {"table": "organizations"}).status_code == 403


def test_a_large_export_runs_as_a_job_with_progress_and_only_its_requester_downloads_it(
    client, world, monkeypatch, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(world.gd_manager)
    inline = xlsx_rows(client.get(reverse("export"), {"table": "organizations"}).content)
    assert len(inline) > 3
    monkeypatch.setattr(export_jobs, "INLINE_MAX_ROWS", 2)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("export"), {"table": "organizations", "format": "xlsx"})
    assert response.status_code == 302
    with scopes_disabled():
        job = ExportJob.objects.get()
    assert response["Location"] == reverse("export-job", args=[job.pk])
    assert job.status == "done" and job.rows_written == len(inline) - 1 == job.total_rows
    status = client.get(reverse("export-job-status", args=[job.pk]))
    assert reverse("export-job-download", args=[job.pk]).encode() in status.content
    assert "hx-trigger" not in status.content.decode()  # done: the page stops polling
    file = client.get(reverse("export-job-download", args=[job.pk]))
    assert xlsx_rows(download(file)) == inline
    listing = client.get(reverse("export-jobs"))
    assert reverse("export-job", args=[job.pk]).encode() in listing.content
    # Jobs are their requester's alone, even within the same bureau line.
    client.force_login(world.jm_manager)
    for name in ("export-job", "export-job-status", "export-job-download"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    # A job is claimed once: running it again writes nothing.
    assert export_jobs.export_job_run(job.pk) is False


def test_a_job_writes_what_its_requester_sees_now(world, settings, tmp_path):
    """The worker rebuilds the table in the requester's scope, with the stored filters."""
    settings.MEDIA_ROOT = tmp_path
    with visibility_scope(Visibility.for_user(world.pj_manager)):
        exporter = exporters.EXPORTERS["organizations"].from_params(
            visibility=Visibility.for_user(world.pj_manager), params={}
        )
        job = export_jobs.export_job_request(
            user=world.pj_manager, exporter=exporter, file_format="csv", params={}
        )
    assert export_jobs.export_job_run(job.pk) is True
    with scopes_disabled():
        job.refresh_from_db()
        content = job.file.read().decode("utf-8-sig")
    with visibility_scope(Visibility.for_user(world.pj_manager)):
        visible = set(Organization.objects.values_list("uscc", flat=True))
    codes = {row[1] for row in list(csv.reader(io.StringIO(content)))[1:]}
    assert codes == visible


def test_a_job_whose_user_lost_the_role_fails_without_a_file(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with scopes_disabled():
        job = ExportJob.objects.create(user=world.pj_applicant, identifier="organizations")
    with pytest.raises(PermissionError):
        export_jobs.export_job_run(job.pk)
    with scopes_disabled():
        job.refresh_from_db()
    assert job.status == "failed" and not job.file


class Official(exporters.Exporter):
    identifier = "test_official"

    def title_rows(self):
        return [["绩效目标表"], ["单位：万元"]]

    def header_rows(self):
        return [["指标", "2024年底", "", "2025年底", ""], ["", "目标", "实际", "目标", "实际"]]

    def merged_cells(self):
        return ["A1:E1", "A3:A4", "B3:C3", "D3:E3"]

    def iterate_list(self):
        for number in range(2500):
            yield [f"行{number}", number, number, number, number]

    def footer_rows(self):
        return [["合计", 1, 2, 3, 4]]


def test_official_layouts_keep_their_merged_headers_and_report_progress():
    seen: list[int] = []
    buffer = io.BytesIO()
    written = Official().write_xlsx(buffer, seen.append)
    assert written == 2500 and seen == [1000, 2000]
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    assert {str(r) for r in sheet.merged_cells.ranges} == {"A1:E1", "A3:A4", "B3:C3", "D3:E3"}
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2][:2] == ("指标", "2024年底") and rows[3][1:3] == ("目标", "实际")
    assert rows[-1] == ("合计", 1, 2, 3, 4) and len(rows) == 2 + 2 + 2500 + 1
    csv_rows = list(csv.reader(io.StringIO(Official().to_csv().decode("utf-8-sig"))))
    assert csv_rows[2][0] == "指标" and csv_rows[-1][0] == "合计"


def test_a_job_whose_worker_died_is_queued_again_once_its_claim_is_stale(world, settings, tmp_path):
    from datetime import timedelta

    from django.utils import timezone

    settings.MEDIA_ROOT = tmp_path
    settings.PORTAL_JOB_CLAIM_TIMEOUT = 60
    now = timezone.now()
    with scopes_disabled():
        fresh = ExportJob.objects.create(
            user=world.jm_manager, identifier="organizations", status="running", claimed_at=now
        )
        stale = ExportJob.objects.create(
            user=world.jm_manager,
            identifier="organizations",
            status="running",
            claimed_at=now - timedelta(seconds=61),
        )
    assert export_jobs.export_jobs_resume() == 1  # the task runs in place here
    with scopes_disabled():
        fresh.refresh_from_db()
        stale.refresh_from_db()
    assert fresh.status == "running" and stale.status == "done" and stale.rows_written > 0
