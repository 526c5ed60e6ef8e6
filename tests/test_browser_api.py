"""The README's API example as a person does it: create a token on the portal page, then list
the city's pilot enterprises with it; the documentation page runs under the CSP."""

import json
import urllib.request

import pytest

from portal.scoping import scopes_disabled
from tests.conftest import ARTIFACTS, log_in

pytestmark = pytest.mark.browser


def test_a_bureau_user_creates_a_token_and_lists_the_citys_pilot_enterprises(
    live_server, transactional_db, world, browser
):
    from playwright.sync_api import expect

    from demo.world import build_demo_pilot

    with scopes_disabled():
        build_demo_pilot(world)
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, live_server.url, "jm_manager")
    page.get_by_role("link", name="API 令牌").click()
    page.get_by_label("名称（令牌用途）").fill("省平台同步")
    page.get_by_label("权限范围").select_option("read")
    page.get_by_label("有效期").select_option("90")
    page.get_by_role("button", name="创建令牌").click()
    expect(page.get_by_role("status")).to_contain_text("只显示这一次")
    token = page.get_by_label("您的新令牌").input_value()
    expect(page.get_by_role("cell", name="省平台同步", exact=True)).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "api-tokens.png"), full_page=True)

    request = urllib.request.Request(
        f"{live_server.url}/api/v1/enterprises/",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request) as response:  # noqa: S310 - the test's own server
        body = json.load(response)
    names = {row["organization_name"] for row in body["results"]}
    assert world.pj_maker.name in names and world.jh_maker.name in names
    assert world.gz_maker.name not in names

    page.goto(f"{live_server.url}/api/docs/")
    operations = page.locator(".opblock-summary-path", has_text="/api/v1/enterprises/")
    expect(operations.first).to_be_visible(timeout=30_000)
    assert not [e for e in errors if "Content Security Policy" in e], errors
