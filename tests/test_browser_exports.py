"""The admin's journey in Chromium: filter a list, export it, download the targets report
(003 附2) from the reports page; both files, read back with openpyxl, hold the rows, headers and
totals counted independently from the fixture."""

import io
import re

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from pilots.models import PilotEnterprise, ProgrammeTarget
from pilots.selectors import SIGNED
from portal.scoping import scopes_disabled
from tests.conftest import ARTIFACTS, log_in
from tests.test_reports import reports_world  # noqa: F401 - the fixture

pytestmark = pytest.mark.browser


def _rows(download) -> tuple[list[tuple], set[str]]:
    sheet = load_workbook(io.BytesIO(open(download.path(), "rb").read())).active
    return list(sheet.iter_rows(values_only=True)), {str(r) for r in sheet.merged_cells.ranges}


def _in(bureau, row_bureau) -> bool:
    return row_bureau.path.startswith(bureau.path)


def test_an_admin_filters_a_list_exports_it_and_downloads_the_targets_report(
    live_server,
    transactional_db,
    reports_world,  # noqa: F811 - the imported fixture
    browser,
):
    from playwright.sync_api import expect

    world = reports_world
    with scopes_disabled():
        enterprises = list(PilotEnterprise.objects.select_related("organization", "bureau"))
        targets = list(ProgrammeTarget.objects.select_related("programme__bureau"))
    pengjiang = sorted(e.organization.name for e in enterprises if e.bureau_id == world.pj.pk)
    assert pengjiang, "the fixture has Pengjiang enterprises"

    page = browser.new_page(accept_downloads=True, viewport={"width": 1280, "height": 900})
    log_in(page, live_server.url, "jm_admin")

    # The pilot enterprise list, narrowed to one county, exported with that filter.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="试点企业").click()
    page.get_by_label("县（市、区）").select_option(str(world.pj.pk))
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(rf"/pilots/enterprises/\?county={world.pj.pk}&"))
    with page.expect_download() as download:
        page.locator('[data-export="pilot_enterprises-xlsx"]').click()
    rows, _merged = _rows(download.value)
    assert download.value.suggested_filename.endswith(".xlsx")
    header = rows[0]
    assert header[:3] == ("企业", "统一社会信用代码", "县（市、区）")
    assert sorted(row[0] for row in rows[1:]) == pengjiang
    assert {row[2] for row in rows[1:]} == {world.pj.region_name}

    # The reports page: Jiangmen's targets table (003 附2) in its official layout.
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="报表").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(world.jm.name)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "reports-jm_admin.png"), full_page=True)
    with page.expect_download() as download:
        page.locator('[data-report="report_targets-xlsx"]').first.click()
    rows, merged = _rows(download.value)
    year = timezone.localdate().year
    assert rows[0][0] == "实施方案绩效目标表" and rows[2][0] == "绩效指标"
    assert rows[3][1:3] == ("目标值", "完成值") and {"A3:A4", "B3:C3"} <= merged
    smes = next(row for row in rows if row[0] == "改造中小企业数量（个）")
    signed = [e for e in enterprises if _in(world.jm, e.bureau) and e.status in SIGNED]
    planned = sum(
        t.value
        for t in targets
        if _in(world.jm, t.programme.bureau) and t.year == year and t.metric == "transformed"
    )
    assert smes[-2:] == (planned, len(signed)) and planned > 0 and len(signed) > 0
