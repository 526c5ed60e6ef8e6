"""A bureau official in Chromium opens the dashboard: the charts draw (ECharts under the CSP), each
with its table, a chart answers the keyboard; the cockpit draws again when its figures refresh."""

import re

import pytest

from tests.conftest import ARTIFACTS, log_in
from tests.test_dashboard import Firm, add_firms, scene  # noqa: F401 - the scene fixture

pytestmark = pytest.mark.browser

CHARTS = ("targets", "levels", "stages", "overdue", "funds")


@pytest.mark.usefixtures("scene")
def test_the_dashboard_draws_its_charts_beside_their_tables(
    live_server, transactional_db, world, browser
):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text)
            if "Content Security Policy" in message.text or message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: refused.append(str(error)))
    log_in(page, live_server.url, "jm_manager")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="数据看板").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(world.jm.name)
    for key in CHARTS:
        expect(page.locator(f"#chart-{key} svg").first).to_be_attached()
    expect(page.locator("table.data caption")).to_have_count(len(CHARTS))
    expect(page.get_by_role("rowheader", name="已验收").first).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-jm_manager.png"), full_page=True)

    # the keyboard reaches a chart and walks its values, announcing each
    chart = page.locator("#chart-stages")
    chart.focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator('[data-chart-point="stages"]')).to_have_text(re.compile("^已入库"))
    page.keyboard.press("End")
    expect(page.locator('[data-chart-point="stages"]')).to_have_text(re.compile("^验收未通过"))

    # a county of the city, chosen in the form
    page.get_by_label("主管部门（含下级）").select_option(str(world.jh.pk))
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(world.jh.name)
    expect(page.locator("#chart-stages svg").first).to_be_attached()
    assert refused == []


@pytest.mark.usefixtures("scene")
def test_the_cockpit_draws_its_refreshed_figures(live_server, transactional_db, world, browser):
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    log_in(page, live_server.url, "jm_manager")
    page.goto(f"{live_server.url}/dashboard/cockpit/?bureau={world.jm.pk}")
    expect(page.locator("body.cockpit")).to_be_visible()
    expect(page.get_by_role("navigation")).to_have_count(0)
    for key in CHARTS:
        expect(page.locator(f"#chart-{key} svg").first).to_be_attached()
    accepted = page.get_by_role("row", name=re.compile("^已通过验收"))
    expect(accepted).to_have_text(re.compile(r"^已通过验收\s*1\s*$"))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "cockpit-jm_manager.png"), full_page=True)

    add_firms(world, [Firm("pj", "accepted", after={"self": 2})], start=600)
    # what the minute's poll does, without waiting the minute
    page.evaluate(
        "htmx.ajax('GET', document.getElementById('cockpit-figures').getAttribute('hx-get'),"
        " {target: '#cockpit-figures', swap: 'innerHTML'})"
    )
    expect(page.get_by_role("row", name=re.compile("^已通过验收"))).to_have_text(
        re.compile(r"^已通过验收\s*2\s*$")
    )
    for key in CHARTS:
        expect(page.locator(f"#chart-{key} svg").first).to_be_attached()
