"""A person in Chromium: log in as a bureau user and see the home page in Chinese."""

import re

import pytest

from demo.world import DEMO_PASSWORD
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def authenticator_code(base32_secret: str) -> str:
    """What an authenticator app shows for a key typed in by hand (RFC 6238, 30 s, 6 digits)."""
    import base64

    from django_otp.oath import TOTP

    padded = base32_secret + "=" * (-len(base32_secret) % 8)
    return f"{TOTP(base64.b32decode(padded)).token():06d}"


def test_a_bureau_user_logs_in_and_sees_the_chinese_home(
    live_server, transactional_db, world, browser
):
    from playwright.sync_api import expect

    page = browser.new_page(locale="en-US")  # an English browser still gets Chinese
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page).to_have_title("登录 · 中小企业数字化转型试点服务平台")
    page.get_by_label("用户名").fill("jm_manager")
    page.get_by_label(re.compile("^密码")).fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")
    page.get_by_label(re.compile("^密码")).fill(DEMO_PASSWORD)
    page.get_by_label(re.compile("^密码")).press("Enter")  # the keyboard is enough
    # First login of a staff member: enrol an authenticator (issue 14), as with a phone app that
    # is given the key shown under the QR code.
    expect(page.get_by_role("heading", level=1)).to_have_text("设置双因素登录")
    expect(page.locator(".qr-code svg")).to_be_visible()
    secret = page.locator("#otp-secret code").inner_text().replace(" ", "")
    page.get_by_label("应用显示的验证码").fill(authenticator_code(secret))
    page.get_by_role("button", name="确认", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("恢复码")
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="我已妥善保存").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("江门市局 李科长，您好")
    expect(page.get_by_role("heading", name="江门市工业和信息化局")).to_be_visible()
    expect(page.get_by_role("navigation", name="主导航")).to_contain_text("单位")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home-jm_manager.png"), full_page=True)
    page.get_by_role("link", name="查看辖区内已注册的单位").click()
    expect(page.get_by_role("cell", name="江门市蓬江区华程机电有限公司")).to_be_visible()
    expect(page.get_by_text("广州市天河区云图工业软件有限公司")).to_have_count(0)
    page.get_by_label("语言").select_option("en")  # submits through portal.js, under the CSP
    expect(page.get_by_role("heading", level=1)).to_have_text("Organizations")
